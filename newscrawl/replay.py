"""Replay: crawl from web archives instead of the network (``-a archive=PATH[,PATH...]``).

``ArchiveIndex`` reads the given WARC files once, streaming, and keeps where each URL's
latest capture lies (file and offset, not the page). ``ReplayMiddleware`` answers every
request from it, next to the downloader, so every other middleware, the spider and the
pipelines work as in a live crawl: redirects are followed to their archived target,
compressed payloads are decoded, multi-page articles are merged. A URL the archives
lack is an error for that request only (``NotInArchive``, counted): the article comes
out as it would live with that page failed, ``complete: false``. Nothing goes to the
network: the middleware answers every request itself.

``replay_settings`` is what a replay changes: no robots.txt, no waits, no retries (an
archive answers the same every time), no new archive, and, unless
``NEWSCRAWL_REPLAY_INCREMENTAL`` is on, no store of exported articles.
"""
from __future__ import annotations

import logging
import zlib
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterator

from scrapy import Request
from scrapy.crawler import Crawler
from scrapy.exceptions import IgnoreRequest, NotConfigured
from scrapy.http import Headers, Response
from scrapy.responsetypes import responsetypes
from scrapy.settings import SETTINGS_PRIORITIES, BaseSettings
from w3lib.url import canonicalize_url

from newscrawl.urls import is_article_url

logger = logging.getLogger(__name__)
ARCHIVE_NAMES = ("*.warc.gz", "*.warc")
# Headers describing the payload as transferred: the replayed body is decoded already.
TRANSFER_HEADERS = frozenset({"transfer-encoding", "content-encoding", "content-length"})
REPLAY = {
    "ROBOTSTXT_OBEY": False,
    "AUTOTHROTTLE_ENABLED": False,
    "DOWNLOAD_DELAY": 0,
    "CONCURRENT_REQUESTS": 32,
    "CONCURRENT_REQUESTS_PER_DOMAIN": 32,
    "RETRY_ENABLED": False,
    "HTTPCACHE_ENABLED": False,
    "NEWSCRAWL_ARCHIVE": False,
}


class NotInArchive(IgnoreRequest):
    """The archives hold no capture of this URL."""


def archive_files(paths: list[str]) -> list[Path]:
    """The archive files named, folders expanded to the archives inside (sorted).

    Raises ValueError naming a path that does not exist or a folder without archives.
    A ``.part`` file (a run still writing, or one that died) is never read.
    """
    files: list[Path] = []
    for name in paths:
        path = Path(name).expanduser()
        if path.is_dir():
            found = sorted({f for pattern in ARCHIVE_NAMES for f in path.rglob(pattern)})
            if not found:
                raise ValueError(f"{name}: no .warc.gz or .warc file in this folder")
            files.extend(found)
        elif path.is_file():
            files.append(path)
        else:
            raise ValueError(f"{name}: no such file or folder")
    return list(dict.fromkeys(files))


def replay_settings(settings: BaseSettings) -> None:
    """Make ``settings`` those of a replay (above settings.py, below ``-s``)."""
    for name, value in REPLAY.items():
        settings.set(name, value, priority="spider")
    settings.set("NEWSCRAWL_INCREMENTAL", settings.getbool("NEWSCRAWL_REPLAY_INCREMENTAL"), priority="spider")
    if (settings.getpriority("FEEDS") or 0) <= SETTINGS_PRIORITIES["project"]:  # not -o/-O's
        settings.set("FEEDS", {settings.get("NEWSCRAWL_REPLAY_FEED"): {"format": "jsonlines", "encoding": "utf-8"}},
                     priority="spider")


def url_key(url: str) -> str:
    """The lookup form of a URL (query sorted, fragment dropped, escaping unified)."""
    return canonicalize_url(url, keep_fragments=False)


@dataclass(frozen=True)
class Capture:
    """Where one archived response lies."""

    url: str
    date: str  # WARC-Date, ISO 8601: later strings are later captures
    status: int
    file: int
    offset: int


class ArchiveIndex:
    """The latest capture of each URL in the given archives."""

    def __init__(self, files: list[Path]) -> None:
        self.files = files
        self.captures: dict[str, Capture] = {}
        self.records = 0
        self.unreadable: list[Path] = []

    @classmethod
    def read(cls, files: list[Path]) -> "ArchiveIndex":
        from warcio.archiveiterator import ArchiveIterator
        from warcio.exceptions import ArchiveLoadFailed

        index = cls(files)
        for number, path in enumerate(files):
            try:
                with path.open("rb") as stream:
                    records = ArchiveIterator(stream)
                    for record in records:
                        index.records += 1
                        if record.rec_type == "response" and record.http_headers is not None:
                            index._add(record, number, records.get_record_offset())
            except (ArchiveLoadFailed, OSError, EOFError, zlib.error, ValueError) as error:
                # A file cut short or not an archive: what was whole before stays usable.
                logger.error("%s: unreadable after %d records (%s); the rest of it is skipped",
                             path, index.records, error)
                index.unreadable.append(path)
        return index

    def _add(self, record: Any, file: int, offset: int) -> None:
        url = record.rec_headers.get_header("WARC-Target-URI") or ""
        try:
            status = int(record.http_headers.get_statuscode())
        except (TypeError, ValueError):
            return
        capture = Capture(url, record.rec_headers.get_header("WARC-Date") or "", status, file, offset)
        key = url_key(url)
        known = self.captures.get(key)
        if known is None or capture.date >= known.date:
            self.captures[key] = capture

    def article_urls(self) -> Iterator[str]:
        """URLs of the archived article pages that were served (2xx), in archive order."""
        for capture in sorted(self.captures.values(), key=lambda c: (c.file, c.offset)):
            if 200 <= capture.status < 300 and is_article_url(capture.url):
                yield capture.url

    def response(self, request: Request) -> Response:
        """The archived response to this request; NotInArchive when there is none."""
        capture = self.captures.get(url_key(request.url))
        if capture is None:
            raise NotInArchive(f"not in the archives: {request.url}")
        headers, body, protocol = self._read(capture)
        cls = responsetypes.from_args(headers=headers, url=request.url, body=body)
        return cls(url=request.url, status=capture.status, headers=headers, body=body, request=request,
                   flags=["archive"], protocol=protocol)

    def body(self, capture: Capture) -> bytes:
        """The payload of a capture, as the spider would see it (decoded)."""
        return self._read(capture)[1]

    def _read(self, capture: Capture) -> tuple[Headers, bytes, str | None]:
        """Headers (without the transfer ones), decoded payload and protocol of a capture."""
        from warcio.archiveiterator import ArchiveIterator

        with self.files[capture.file].open("rb") as stream:
            stream.seek(capture.offset)
            record = next(iter(ArchiveIterator(stream)))
            body = record.content_stream().read()
            headers = Headers([(name, value) for name, value in record.http_headers.headers
                               if name.lower() not in TRANSFER_HEADERS])
            return headers, body, record.http_headers.protocol or None


class ReplayMiddleware:
    """Downloader middleware of a replay: every response comes from the archives."""

    def __init__(self, crawler: Crawler, index: ArchiveIndex) -> None:
        self.crawler = crawler
        self.index = index

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> "ReplayMiddleware":
        index = getattr(crawler.spider, "replay", None)  # read by the spider: it scopes by it
        if index is None:
            raise NotConfigured
        crawler.stats.set_value("newscrawl/replay/records", index.records)
        crawler.stats.set_value("newscrawl/replay/urls", len(index.captures))
        if index.unreadable:
            crawler.stats.set_value("newscrawl/replay/unreadable_files", len(index.unreadable))
        logger.info("Replaying %d archived URLs from %d archive file(s); no request goes to the network",
                    len(index.captures), len(index.files))
        return cls(crawler, index)

    def process_request(self, request: Request) -> Response:
        try:
            response = self.index.response(request)
        except NotInArchive:
            self.crawler.stats.inc_value("newscrawl/replay/missing")
            raise
        self.crawler.stats.inc_value("newscrawl/replay/responses")
        return response
