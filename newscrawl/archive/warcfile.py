"""Writing a WARC 1.1 file with warcio, one gzip member per record, in a process of its own.

Kept free of Scrapy: the crawl starts ``python -m newscrawl.archive.warcfile`` as a child process
(newscrawl/archive/writer.py) and hands it each exchange through the child's standard input, so
building the records, hashing and compressing never take the crawl's GIL. Only plain
pipes join the two: each end of each pipe is held by one process, so whichever dies, the
other sees the pipe end (EOF or EPIPE) instead of waiting for ever, and no
multiprocessing resource tracker is left behind.
"""
from __future__ import annotations

import base64
import hashlib
import io
import json
import os
import pickle
import signal
import struct
import sys
import zlib
from http import HTTPStatus
from typing import IO, Any, NamedTuple
from urllib.parse import urlsplit


class Exchange(NamedTuple):
    """One request and its response, as the crawl saw them."""

    url: str
    date: str  # WARC-Date, ISO 8601 UTC with microseconds
    ip: str | None
    protocol: str
    status: int
    headers: list[tuple[str, str]]
    body: bytes
    request_headers: list[tuple[str, str]]
    # The last full capture of this URL (url, payload digest, date) the crawl knows of: a
    # payload with the same digest is written as a revisit record referring to it.
    earlier: tuple[str, str, str] | None = None


def payload_digest(body: bytes) -> str:
    """WARC-Payload-Digest as warcio (and Heritrix, pywb) write it: ``sha1:<base32>``."""
    return "sha1:" + base64.b32encode(hashlib.sha1(body).digest()).decode()


class WarcFile:
    """A WARC file being written: a ``warcinfo`` record, then request/response pairs."""

    def __init__(self, path: str, level: int, filename: str, info: dict[str, str]) -> None:
        from warcio.warcwriter import WARCWriter

        self.level = level
        self._buffer = io.BytesIO()
        self._warc = WARCWriter(self._buffer, gzip=False, warc_version="WARC/1.1")
        self._file = open(path, "wb")
        self._write(self._warc.create_warcinfo_record(filename, info))

    def write(self, exchange: Exchange) -> tuple[str | None, bool]:
        """The response record, then its request record (``WARC-Concurrent-To`` it). A served
        (2xx) payload the ``earlier`` capture holds already is a ``revisit`` record (WARC 1.1's
        identical-payload-digest profile: the HTTP headers, no payload); an error answer
        repeated (a retry) is small and stays whole. Returns the payload digest of a full
        record of a served page, which later ones may refer to (else None), and whether a
        revisit record was written."""
        from warcio.statusandheaders import StatusAndHeaders

        digest = payload_digest(exchange.body)
        warc_headers = {"WARC-Date": exchange.date, "WARC-Payload-Digest": digest}
        if exchange.ip:
            warc_headers["WARC-IP-Address"] = exchange.ip
        status_line = f"{exchange.status} {_reason(exchange.status)}".strip()
        http_headers = StatusAndHeaders(status_line, exchange.headers, protocol=exchange.protocol)
        served = 200 <= exchange.status < 300
        revisit = served and exchange.earlier is not None and exchange.earlier[1] == digest
        if revisit:
            earlier_url, _, earlier_date = exchange.earlier
            response = self._warc.create_revisit_record(exchange.url, digest, earlier_url, earlier_date,
                                                        http_headers=http_headers, warc_headers_dict=warc_headers)
        else:
            response = self._warc.create_warc_record(
                exchange.url, "response", payload=io.BytesIO(exchange.body), warc_headers_dict=warc_headers,
                http_headers=http_headers)
        parts = urlsplit(exchange.url)
        target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
        request = self._warc.create_warc_record(
            exchange.url, "request", payload=io.BytesIO(b""),
            warc_headers_dict={"WARC-Date": exchange.date,
                               "WARC-Concurrent-To": response.rec_headers.get_header("WARC-Record-ID")},
            http_headers=StatusAndHeaders(f"GET {target} HTTP/1.1", [("Host", parts.netloc), *exchange.request_headers],
                                          is_http_request=True))
        self._write(response)
        self._write(request)
        return (digest if served and not revisit else None), revisit

    def _write(self, record: Any) -> None:
        """One record, one gzip member (what WARC readers expect of a .warc.gz)."""
        self._buffer.seek(0)
        self._buffer.truncate()
        self._warc.write_record(record)
        compressor = zlib.compressobj(self.level, zlib.DEFLATED, zlib.MAX_WBITS | 16)
        self._file.write(compressor.compress(self._buffer.getvalue()) + compressor.flush())

    def close(self) -> None:
        """Flush, sync and close: the file is complete on disk."""
        try:
            self._file.flush()
            os.fsync(self._file.fileno())
        finally:
            self._file.close()


def write_archive(source: IO[bytes], result: IO[bytes]) -> int:
    """The writer process: read the file's settings, then each exchange, from ``source``
    (the crawl's pipe); write them; report on ``result`` one JSON line per event: an error
    at once (``{"error": …}``), then ``{"done": true}`` once the file is complete and
    synced; for each served page written, ``{"capture": [url, digest, date]}`` (a full
    record) or ``{"revisit": 1}``. Signals are the crawl's business: a Ctrl-C or a SIGTERM to the process group
    must not cut the archive short; the crawl ends it. The end of ``source`` before the
    end frame (the crawl died, even half-way through a frame) leaves the file as it is
    (a ``.part``, settled by the next run) and ends this process."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    settings = json.loads(source.readline() or b"null")
    if not isinstance(settings, dict):
        return 2
    error = None
    try:
        warc = WarcFile(settings["path"], settings["level"], settings["filename"], settings["info"])
    except Exception as failure:  # the folder vanished, no space left, warcio missing
        warc, error = None, failure
        _report(result, {"error": _describe(failure)})
    while True:
        frame = _read_frame(source)
        if frame is None:
            return 3  # the crawl is gone: leave the .part as it is
        if frame == b"":
            break
        if error is None:  # after an error, only drain: the crawl is told and stops
            try:
                exchange = Exchange(*pickle.loads(frame))
                digest, revisit = warc.write(exchange)
                # What the crawl learns: a full capture later ones may refer to, or a revisit.
                if digest or revisit:
                    _report(result, {"capture": [exchange.url, digest, exchange.date]} if digest else {"revisit": 1})
            except Exception as failure:
                error = failure
                _report(result, {"error": _describe(failure)})
    if warc is not None:
        try:
            warc.close()
        except OSError as failure:
            if error is None:
                error = failure
                _report(result, {"error": _describe(failure)})
    _report(result, {"done": error is None})
    return 0


def frame(exchange: Exchange) -> bytes:
    """An exchange as the writer reads it: a 4-byte length, then its pickle."""
    data = pickle.dumps(tuple(exchange), protocol=pickle.HIGHEST_PROTOCOL)
    return struct.pack(">I", len(data)) + data


END_FRAME = struct.pack(">I", 0)


def _read_frame(source: IO[bytes]) -> bytes | None:
    """The next frame's bytes (b"" for the end frame), or None when the pipe ended first."""
    header = source.read(4)
    if len(header) < 4:
        return None
    size = struct.unpack(">I", header)[0]
    data = source.read(size) if size else b""
    return data if len(data) == size else None


def _describe(failure: BaseException) -> str:
    return f"{type(failure).__name__}: {failure}"


def _report(result: IO[bytes], message: dict) -> None:
    try:
        result.write(json.dumps(message).encode() + b"\n")
        result.flush()
    except OSError:
        pass  # the crawl is gone


def _reason(status: int) -> str:
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return ""


if __name__ == "__main__":
    # warcio imports fsspec when it is installed (0.15 s a run), for opening remote paths;
    # this process hands it open files only.
    sys.modules.setdefault("fsspec", None)
    sys.exit(write_archive(sys.stdin.buffer, sys.stdout.buffer))
