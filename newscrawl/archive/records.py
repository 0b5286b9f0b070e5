"""WARC streams and records: the streams of a file or a WACZ, a URL's lookup key, whose warcinfo,
where the next record starts after a damaged one, a capture's date, a payload decoded as a
reader gets it (no index, no Scrapy)."""
from __future__ import annotations

import gzip
import logging
import zipfile
import zlib
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, BinaryIO, Iterator

from w3lib.url import canonicalize_url

logger = logging.getLogger(__name__)

def url_key(url: str) -> str:
    """The lookup form of a URL: no scheme (2013 captures are http://, the crawl asks
    https://), query sorted, fragment dropped, escaping unified.

    >>> url_key("http://www.tribunnews.com/a?page=2&x=1") == url_key("https://www.tribunnews.com/a?x=1&page=2")
    True
    """
    return canonicalize_url(url, keep_fragments=False).split("://", 1)[-1]


@dataclass(frozen=True)
class Source:
    """One WARC stream: a file, or a WARC inside a WACZ (a zip)."""

    path: Path
    member: str | None = None

    @contextmanager
    def open(self) -> Iterator[BinaryIO]:
        if self.member is None:
            with self.path.open("rb") as stream:
                yield stream
        else:
            with zipfile.ZipFile(self.path) as wacz, wacz.open(self.member) as stream:
                yield stream  # seekable: WACZ stores its WARCs uncompressed in the zip

    def __str__(self) -> str:
        return f"{self.path}!{self.member}" if self.member else str(self.path)

    def size(self) -> int:
        if self.member is None:
            return self.path.stat().st_size
        with zipfile.ZipFile(self.path) as wacz:
            return wacz.getinfo(self.member).file_size


def sources_of(files: list[Path], lost: list[str] | None = None) -> list[Source]:
    """The WARC streams of the given files (a WACZ's ``archive/*.warc[.gz]``). A WACZ that
    cannot be opened as a zip (cut short) or holds a WARC compressed inside the zip is named
    in one ERROR line and in ``lost``; the other files are read all the same."""
    lost = lost if lost is not None else []
    sources = []
    for path in files:
        if path.suffix != ".wacz":
            sources.append(Source(path))
            continue
        try:
            with zipfile.ZipFile(path) as wacz:
                members = [m for m in sorted(wacz.infolist(), key=lambda m: m.filename)
                           if m.filename.startswith("archive/") and m.filename.endswith((".warc.gz", ".warc"))]
        except (OSError, zipfile.BadZipFile) as error:
            logger.error("%s: not a readable WACZ (%s): cut short, an interrupted download? Nothing is "
                         "replayed from it; the other archives are", path, error)
            lost.append(f"{path} (not a readable zip: {error})")
            continue
        for member in members:
            if member.compress_type != zipfile.ZIP_STORED:
                # WACZ stores its WARCs: a compressed one cannot be read at an offset
                # without decompressing it again from its start for every capture.
                logger.error("%s: %s is compressed inside the zip, which WACZ does not allow: not replayed "
                             "(unzip it and give the WARC)", path, member.filename)
                lost.append(f"{path}!{member.filename} (compressed inside the zip)")
                continue
            sources.append(Source(path, member.filename))
        if not members:
            logger.warning("%s: a WACZ with no WARC file inside (archive/*.warc[.gz]): nothing to replay from it",
                           path)
    return sources


# The field only newscrawl's own warcinfo carries (newscrawl/archive/writer.py writes it).
NEWSCRAWL_FIELD = b"newscrawl-run:"


def is_newscrawl_warcinfo(content: bytes) -> bool:
    """Whether a warcinfo record's content is newscrawl's: a line of our own field, not a
    description that happens to name newscrawl.

    >>> is_newscrawl_warcinfo(b"software: newscrawl (x); warcio\\r\\nnewscrawl-run: 00000001-20261206T0600Z\\r\\n")
    True
    >>> is_newscrawl_warcinfo(b"software: Wget/1.21\\r\\ndescription: newscrawl job 2015\\r\\n")
    False
    """
    return any(line.strip().lower().startswith(NEWSCRAWL_FIELD) for line in content.splitlines())


def printable(text: str, limit: int = 200) -> str:
    """Text fit for a log line: no control characters or raw bytes, at most ``limit`` long."""
    return "".join(c if c.isprintable() else "?" for c in text[:limit])


# Payload headers that describe the bytes as transferred: the payload is handed over
# de-chunked. Content-Encoding stays: Scrapy decodes gzip, deflate, br and zstd as it does
# live (warcio's own brotli decoding fails with brotli 1.2), within DOWNLOAD_MAXSIZE.
TRANSFER_HEADERS = frozenset({"transfer-encoding", "content-length"})


def record_errors() -> tuple[type[Exception], ...]:
    """What warcio raises on a damaged or hostile record (read while indexing, or read back
    at replay): a failure of that record, never of the run."""
    from warcio.exceptions import ArchiveLoadFailed

    return (ArchiveLoadFailed, EOFError, zlib.error, ValueError, KeyError, IndexError, AttributeError, TypeError,
            UnicodeError)


HEADER_LIMIT = 1 << 20  # bytes of one record's WARC and HTTP headers: real ones are a few KB


class HeaderTooLong(ValueError):
    """A record's headers go on past HEADER_LIMIT (a header that never ends): damage."""


class HeaderGuard:
    """Bounds what warcio reads of each record's headers. warcio reads headers line by line,
    each line whole: a header that never ends was read whole into memory (a 1 MiB archive
    holding a 1 GiB header took 3.2 GB). Lines now stop at HEADER_LIMIT bytes, the record's
    headers too, and such a record is a record error (skipped and named, reading goes on
    at the next record). ``reset()`` once a record has been read."""

    def __init__(self, reader: Any, limit: int = HEADER_LIMIT) -> None:
        self._readline, self.limit, self.used = reader.readline, limit, 0
        reader.readline = self._bounded

    def _bounded(self, length: int | None = None) -> bytes:
        allowed = self.limit - self.used + 1
        line = self._readline(min(length, allowed) if length else allowed)
        self.used += len(line)
        if self.used > self.limit:
            raise HeaderTooLong(f"headers longer than {self.limit} bytes (a header that never ends?)")
        return line

    def reset(self) -> None:
        self.used = 0


def read_record(source: Source, offset: int, payload: bool) -> tuple[list[tuple[str, str]], str | None, bytes]:
    """The HTTP headers (without the transfer ones), protocol and, if ``payload``, the
    de-chunked payload of the record at ``offset`` in ``source``."""
    from warcio.archiveiterator import ArchiveIterator
    from warcio.bufferedreaders import ChunkedDataReader

    with source.open() as stream:
        stream.seek(offset)
        record = next(iter(ArchiveIterator(stream)))
        http = record.http_headers
        headers = [(name, value) for name, value in http.headers if name.lower() not in TRANSFER_HEADERS]
        body = b""
        if payload:
            chunked = "chunked" in (http.get_header("Transfer-Encoding") or "").lower()
            body = (ChunkedDataReader(record.raw_stream) if chunked else record.raw_stream).read()
        return headers, http.protocol or None, body


def decoded_payload(headers: list[tuple[str, str]], body: bytes) -> bytes:
    """A payload with its Content-Encoding undone (gzip, deflate, br, zstd), as a reader
    of the page gets it; a payload that does not decode is returned as it is.

    >>> import gzip
    >>> decoded_payload([("Content-Encoding", "gzip")], gzip.compress(b"<p>halo</p>"))
    b'<p>halo</p>'
    """
    encodings = [e.strip().lower() for name, value in headers if name.lower() == "content-encoding"
                 for e in value.split(",") if e.strip()]
    try:
        for encoding in reversed(encodings):
            body = _DECODERS.get(encoding, lambda data: data)(body)
    except Exception:  # noqa: BLE001 (any codec's error: the payload stays as archived)
        pass
    return body


def _inflate(data: bytes) -> bytes:
    try:
        return zlib.decompress(data)
    except zlib.error:
        return zlib.decompress(data, -zlib.MAX_WBITS)  # raw deflate, as some servers send


def _unbrotli(data: bytes) -> bytes:
    import brotli

    return brotli.decompress(data)


def _unzstd(data: bytes) -> bytes:
    try:
        from compression import zstd  # Python 3.14
    except ImportError:
        from backports import zstd
    return zstd.decompress(data)


_DECODERS = {"gzip": gzip.decompress, "x-gzip": gzip.decompress, "deflate": _inflate, "br": _unbrotli,
             "zstd": _unzstd}


_GZIP_MAGIC = b"\x1f\x8b\x08"
_WARC_LINE = b"WARC/1."


def next_record_start(stream: BinaryIO, start: int, window: int = 1 << 20) -> int | None:
    """The offset of the first record found at or after ``start``: a gzip member that
    decompresses to a WARC header, or a ``WARC/1.`` line; None when there is none."""
    position = start
    while True:
        stream.seek(position)
        data = stream.read(window + 16)
        if not data:
            return None
        for magic in (_GZIP_MAGIC, _WARC_LINE):
            found = data.find(magic)
            while 0 <= found < window:
                if _starts_a_record(stream, position + found, magic):
                    return position + found
                found = data.find(magic, found + 1)
        if len(data) <= window:
            return None
        position += window


def _starts_a_record(stream: BinaryIO, offset: int, magic: bytes) -> bool:
    stream.seek(offset)
    head = stream.read(8192)
    if magic == _WARC_LINE:
        if offset:
            stream.seek(offset - 1)
            if stream.read(1) != b"\n":
                return False
        return True
    try:
        return zlib.decompressobj(16 + zlib.MAX_WBITS).decompress(head, 16).startswith(_WARC_LINE)
    except zlib.error:
        return False


def warc_iso(date: str) -> str | None:
    """A WARC-Date as ISO 8601 with its offset, UTC (None when it does not parse).

    >>> warc_iso("2020-05-04T09:20:00Z"), warc_iso("2026-12-06T18:00:00.123456Z"), warc_iso("soon")
    ('2020-05-04T09:20:00+00:00', '2026-12-06T18:00:00.123456+00:00', None)
    """
    try:
        moment = datetime.fromisoformat(date.replace("Z", "+00:00"))
    except (TypeError, ValueError):
        return None
    return (moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)).astimezone(timezone.utc).isoformat()


def warc_moment(date: str) -> float:
    """Seconds since the epoch of a WARC-Date (0 when it does not parse).

    >>> warc_moment("1970-01-01T00:01:00Z"), warc_moment("soon")
    (60.0, 0.0)
    """
    try:
        moment = datetime.fromisoformat(date.replace("Z", "+00:00"))
        return (moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)).timestamp()
    except (ValueError, OverflowError):
        return 0.0
