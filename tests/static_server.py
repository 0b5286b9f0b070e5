"""A folder served on 127.0.0.1 in a thread, with HTTP Range requests answered (206), as a
web server serves a WACZ to ReplayWeb.page, which reads the package by ranges."""
from __future__ import annotations

import os
import re
import threading
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path


class RangeHandler(SimpleHTTPRequestHandler):
    def send_head(self):
        path = self.translate_path(self.path)
        asked = re.fullmatch(r"bytes=(\d*)-(\d*)", self.headers.get("Range", ""))
        self.left = None
        if not asked or not os.path.isfile(path) or not (asked[1] or asked[2]):
            return super().send_head()
        size = os.path.getsize(path)
        start = int(asked[1]) if asked[1] else max(0, size - int(asked[2]))
        end = min(int(asked[2]), size - 1) if asked[1] and asked[2] else size - 1
        stream = open(path, "rb")
        stream.seek(start)
        self.send_response(206)
        self.send_header("Content-Type", self.guess_type(path))
        self.send_header("Content-Range", f"bytes {start}-{end}/{size}")
        self.send_header("Content-Length", str(end - start + 1))
        self.end_headers()
        self.left = end - start + 1
        return stream

    def copyfile(self, source, outputfile):
        if self.left is None:
            return super().copyfile(source, outputfile)
        while self.left > 0 and (chunk := source.read(min(1 << 16, self.left))):
            outputfile.write(chunk)
            self.left -= len(chunk)

    def end_headers(self):
        self.send_header("Accept-Ranges", "bytes")
        super().end_headers()

    def log_message(self, format, *args):
        pass  # quiet: the test says what went wrong


class StaticServer:
    """``with StaticServer(folder) as server: server.base`` (``http://127.0.0.1:<port>``)."""

    def __init__(self, folder: Path) -> None:
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), partial(RangeHandler, directory=str(folder)))
        self.base = f"http://127.0.0.1:{self.server.server_address[1]}"

    def __enter__(self) -> "StaticServer":
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return self

    def __exit__(self, *exc) -> None:
        self.server.shutdown()
        self.server.server_close()
