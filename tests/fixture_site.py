"""A local copy of the Tribun network for tests: one HTTP server per fixture host.

``tests/fixtures/site/<host>/<path>`` is served at ``http://127.0.0.1:<port>/<path>``;
a query string maps to ``<path>__<query>.html`` (``slug?page=2`` -> ``slug__page=2.html``)
and a path without an extension to ``<path>.html``. Absolute links to any served host
(``https://www.tribunnews.com/...``) are rewritten to that host's local server, so a
crawl never leaves 127.0.0.1. ``faults`` makes chosen URLs answer with an error status.
"""
from __future__ import annotations

import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import urlsplit

FIXTURE_ROOT = Path(__file__).parent / "fixtures" / "site"
_TYPES = {".html": "text/html; charset=utf-8", ".xml": "application/xml; charset=utf-8",
          ".txt": "text/plain; charset=utf-8"}


def fixture_file(root: Path, host: str, path: str, query: str) -> Path:
    """The file that answers ``path?query`` on ``host``."""
    path = path.strip("/") or "index"
    if query:
        path = f"{path}__{query}"
    candidate = root / host / path
    return candidate if candidate.suffix in _TYPES else candidate.with_name(candidate.name + ".html")


class FixtureSite:
    """Start with ``with FixtureSite() as site:``; ``site.url(real_url)`` gives the local URL."""

    def __init__(self, root: Path = FIXTURE_ROOT, faults: dict[str, int] | None = None,
                 delay: float = 0.0) -> None:
        self.root = root
        self.delay = delay  # seconds before each answer: a slow site, for kill tests
        self.hosts = sorted(p.name for p in root.iterdir() if p.is_dir())
        self.faults = dict(faults or {})  # real URL -> status to answer with
        self.requests: list[str] = []  # real URLs, in the order they were asked for
        self._servers: dict[str, ThreadingHTTPServer] = {}

    def __enter__(self) -> "FixtureSite":
        for host in self.hosts:
            server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler(host))
            server.daemon_threads = True
            threading.Thread(target=server.serve_forever, daemon=True).start()
            self._servers[host] = server
        return self

    def __exit__(self, *exc) -> None:
        for server in self._servers.values():
            server.shutdown()
            server.server_close()

    def base(self, host: str) -> str:
        return f"http://127.0.0.1:{self._servers[host].server_address[1]}"

    def url(self, real_url: str) -> str:
        """The local URL serving ``real_url``."""
        parts = urlsplit(real_url)
        return self.base(parts.hostname) + parts.path + (f"?{parts.query}" if parts.query else "")

    def real_url(self, local_url: str) -> str:
        """The network URL a local URL stands for."""
        for host in self.hosts:
            if local_url.startswith(self.base(host)):
                return "https://" + host + local_url[len(self.base(host)):]
        return local_url

    def rewrite(self, content: bytes) -> bytes:
        for host in self.hosts:
            content = content.replace(f"https://{host}".encode(), self.base(host).encode())
        return content

    def _handler(self, host: str) -> type[BaseHTTPRequestHandler]:
        site = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                parts = urlsplit(self.path)
                real = f"https://{host}{self.path}"
                site.requests.append(real)
                if site.delay:
                    time.sleep(site.delay)
                if real in site.faults:
                    return self._send(site.faults[real], b"<html><body>error</body></html>", ".html")
                file = fixture_file(site.root, host, parts.path, parts.query)
                if not file.is_file():
                    return self._send(404, b"<html><body>Halaman tidak ditemukan</body></html>", ".html")
                self._send(200, site.rewrite(file.read_bytes()), file.suffix)

            def _send(self, status: int, body: bytes, suffix: str) -> None:
                self.send_response(status)
                self.send_header("Content-Type", _TYPES[suffix])
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args) -> None:
                pass

        return Handler
