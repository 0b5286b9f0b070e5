"""Writing a WARC 1.1 file with warcio, one gzip member per record, in a process of its own.

Kept free of Scrapy: the crawl starts ``write_archive`` in a child process (newscrawl/
archive.py) and hands it each exchange through a queue, so building the records,
hashing and compressing never take the crawl's GIL.
"""
from __future__ import annotations

import io
import os
import queue
import signal
import zlib
from http import HTTPStatus
from typing import Any, NamedTuple
from urllib.parse import urlsplit

# How often (seconds) an idle writer checks that the crawl that started it is alive.
PARENT_CHECK_SECONDS = 1.0


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


class WarcFile:
    """A WARC file being written: a ``warcinfo`` record, then request/response pairs."""

    def __init__(self, path: str, level: int, filename: str, info: dict[str, str]) -> None:
        from warcio.warcwriter import WARCWriter

        self.level = level
        self._buffer = io.BytesIO()
        self._warc = WARCWriter(self._buffer, gzip=False, warc_version="WARC/1.1")
        self._file = open(path, "wb")
        self._write(self._warc.create_warcinfo_record(filename, info))

    def write(self, exchange: Exchange) -> None:
        """The response record, then its request record (``WARC-Concurrent-To`` it)."""
        from warcio.statusandheaders import StatusAndHeaders

        warc_headers = {"WARC-Date": exchange.date}
        if exchange.ip:
            warc_headers["WARC-IP-Address"] = exchange.ip
        status_line = f"{exchange.status} {_reason(exchange.status)}".strip()
        response = self._warc.create_warc_record(
            exchange.url, "response", payload=io.BytesIO(exchange.body), warc_headers_dict=warc_headers,
            http_headers=StatusAndHeaders(status_line, exchange.headers, protocol=exchange.protocol))
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


def write_archive(path: str, level: int, filename: str, info: dict[str, str], exchanges: Any, result: Any) -> None:
    """The writer process: write each exchange until ``None``, then send ``None`` (done) or
    the first error's text on ``result``. Signals are the crawl's business: a Ctrl-C or a
    SIGTERM to the process group must not cut the archive short; the crawl ends it. A crawl
    that died (kill -9) leaves the file as it is (a ``.part``, settled by the next run)."""
    import multiprocessing

    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    error = None
    try:
        warc = WarcFile(path, level, filename, info)
    except Exception as failure:  # the folder vanished, no space left
        warc, error = None, failure
    parent = multiprocessing.parent_process()
    while True:
        try:
            exchange = exchanges.get(timeout=PARENT_CHECK_SECONDS)
        except queue.Empty:
            if parent is not None and not parent.is_alive():
                return
            continue
        if exchange is None:
            break
        if error is None:  # after an error, only drain: the crawl is told and stops
            try:
                warc.write(exchange)
            except Exception as failure:
                error = failure
                result.send(f"{type(failure).__name__}: {failure}")
    if warc is not None:
        try:
            warc.close()
        except OSError as failure:
            error = error or failure
    result.send(None if error is None else f"{type(error).__name__}: {error}")


def _reason(status: int) -> str:
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return ""
