"""Replay: crawl from web archives instead of the network (``-a archive=PATH[,PATH...]``).

``ArchiveIndex`` (newscrawl/archive/index.py) reads the given WARC and WACZ files once,
streaming, as the spider's crawl begins (its ``start()``, not while Scrapy builds it),
and keeps where each URL's best capture lies (file and offset, not the page), for
archives newscrawl wrote and other crawlers' alike. ``ReplayMiddleware`` answers every
request from it, next to the downloader, so every other middleware, the spider and the
pipelines work as in a live crawl: redirects are followed to their archived target,
compressed payloads are decoded, multi-page articles are merged. A URL the archives
lack is an error for that request only (``NotInArchive``, counted): the article comes
out as it would live with that page failed, ``complete: false``. Nothing goes to the
network: the middleware answers every request itself.

``replay_settings`` is what a replay changes: no robots.txt, no waits, no retries, no
cookies (an archive answers the same every time), no new archive, no HTTP download
handler (none is asked), and, unless
``NEWSCRAWL_REPLAY_INCREMENTAL`` is on, no store of exported articles.
"""
from __future__ import annotations

import logging
import signal
import threading
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Callable, Iterator

from scrapy import Request
from scrapy.crawler import Crawler
from scrapy.exceptions import IgnoreRequest, NotConfigured
from scrapy.http import Headers, Response
from scrapy.responsetypes import responsetypes
from scrapy.settings import SETTINGS_PRIORITIES, BaseSettings

from newscrawl.archive.index import ArchiveIndex, IndexingStopped
from newscrawl.archive.records import record_errors
from newscrawl.archive.shared_index import ArchivesDiffer, RedisTickets, WorkerLost, read_distributed, read_shared
from newscrawl.archive.workers import Plan
from newscrawl.config import frontier_key, redis_url, worker_name
from newscrawl.crawl.meta import CAPTURE_AT, CAPTURED
from newscrawl.dedup.redis_store import connect

logger = logging.getLogger(__name__)
REPLAY = {
    "ROBOTSTXT_OBEY": False,
    "AUTOTHROTTLE_ENABLED": False,
    "DOWNLOAD_DELAY": 0,
    "CONCURRENT_REQUESTS": 32,
    "CONCURRENT_REQUESTS_PER_DOMAIN": 32,
    "RETRY_ENABLED": False,
    "HTTPCACHE_ENABLED": False,
    "NEWSCRAWL_ARCHIVE": False,
    "COOKIES_ENABLED": False,  # the archive answers the same with or without them
}


class NotInArchive(IgnoreRequest):
    """The archives hold no capture of this URL."""


class UnreadableCapture(NotInArchive):
    """The archives held a capture of this URL that cannot be read back now."""


@contextmanager
def signals_stop() -> Iterator[Callable[[], bool]]:
    """While the archives are read (before Scrapy's reactor runs, which would act on a
    signal only after), SIGINT and SIGTERM ask the reading to stop: the function given
    says whether one came. A second one stops at once."""
    came: list[int] = []

    def handler(signum: int, frame: Any) -> None:
        if came:
            raise KeyboardInterrupt
        came.append(signum)

    if threading.current_thread() is not threading.main_thread():
        yield lambda: False
        return
    previous = {number: signal.signal(number, handler) for number in (signal.SIGINT, signal.SIGTERM)}
    try:
        yield lambda: bool(came)
    finally:
        for number, old in previous.items():
            signal.signal(number, old)


def read_archives(files: list[Path], hosts: frozenset[str], settings: BaseSettings, plan: Plan | None,
                  spider_name: str) -> tuple[ArchiveIndex, bool, str | None]:
    """A replay's index of the archives: read by this process alone, with the other
    ``-a workers`` of this machine (``plan``), or with the workers of other machines through
    Redis (REDIS_URL); then whether a signal stopped the reading, and why a shared index
    could not be built. Either way nothing is replayed: the index is empty."""
    max_size = settings.getint("DOWNLOAD_MAXSIZE")
    with signals_stop() as stopping:
        logger.info("Reading %d archive file(s)", len(files))  # a signal now stops the reading
        try:
            if plan is not None:
                index = read_shared(files, hosts, max_size, stopping, plan)
            elif url := redis_url(settings):
                index = read_distributed(files, hosts, max_size, stopping, connect(url),
                                         frontier_key(settings, spider_name),
                                         worker_name(settings), settings.getint("NEWSCRAWL_REPLAY_SHARE"),
                                         settings.getfloat("NEWSCRAWL_WORKER_TTL"))
            else:
                index = ArchiveIndex.read(files, hosts, max_size, stopping)
            if stopping():  # it came after the last record
                raise IndexingStopped()
            return index, False, None
        except IndexingStopped:
            logger.warning("Stopped by a signal while reading the archives: nothing is replayed")
            return ArchiveIndex([]), True, None
        except (WorkerLost, ArchivesDiffer) as error:
            logger.error("%s: nothing is replayed", error)
            return ArchiveIndex([]), False, str(error)


def replay_tickets(settings: BaseSettings, spider_name: str, plan: Plan | None) -> Callable[[], int] | None:
    """Where this process takes its article tickets (workers.Deal) when several replay
    together: the folder of the other ``-a workers`` of this machine, or Redis for the workers
    of other machines (every worker deals itself its articles instead of one seeding them
    all, which would replay nearly every article itself: an archive answers at once, so its
    first worker takes each seed before the others see it). None: it replays alone."""
    if plan is not None:
        return plan.take_ticket
    if url := redis_url(settings):
        return RedisTickets(connect(url), frontier_key(settings, spider_name))
    return None


def replay_settings(settings: BaseSettings) -> None:
    """Make ``settings`` those of a replay (above settings.py, below ``-s``)."""
    for name, value in REPLAY.items():
        settings.set(name, value, priority="spider")
    settings.set("NEWSCRAWL_INCREMENTAL", settings.getbool("NEWSCRAWL_REPLAY_INCREMENTAL"), priority="spider")
    frontier = settings.get("NEWSCRAWL_FRONTIER_KEY")
    if (settings.getpriority("NEWSCRAWL_FRONTIER_KEY") or 0) <= SETTINGS_PRIORITIES["project"] \
            and not frontier.endswith("-replay"):  # a distributed replay's frontier: not the live crawl's
        settings.set("NEWSCRAWL_FRONTIER_KEY", f"{frontier}-replay", priority="spider")
    handlers = settings["DOWNLOAD_HANDLERS"]
    for scheme in ("http", "https"):  # ReplayMiddleware answers every request: 50 ms of imports saved
        handlers.set(scheme, None, priority="spider")
    if (settings.getpriority("FEEDS") or 0) <= SETTINGS_PRIORITIES["project"]:  # not -o/-O's
        settings.set("FEEDS", {settings.get("NEWSCRAWL_REPLAY_FEED"): {"format": "jsonlines", "encoding": "utf-8"}},
                     priority="spider")


def archived_response(index: ArchiveIndex, request: Request) -> Response:
    """The archived response to this request; NotInArchive when there is none."""
    capture = index.find(request.url, request.meta.get(CAPTURE_AT))
    if capture is None:
        raise NotInArchive(f"not in the archives: {request.url}")
    try:
        pairs, body, protocol = index.load(capture)
    except (OSError, *record_errors()) as error:  # the file vanished or changed since it was indexed
        raise UnreadableCapture(f"{index.sources[capture.source]}: the capture of {request.url} at byte "
                                f"{capture.offset} cannot be read ({type(error).__name__}: {error}); was the "
                                "file changed or damaged since it was indexed?") from None
    headers = Headers(pairs)
    request.meta[CAPTURED] = capture.date
    cls = responsetypes.from_args(headers=headers, url=request.url, body=body)
    return cls(url=request.url, status=capture.status, headers=headers, body=body, request=request,
               flags=["archive"], protocol=protocol)


def count_index(stats: Any, index: ArchiveIndex) -> None:
    """What the index of the archives holds and lost, in the stats (and the lost files named)."""
    stats.set_value("newscrawl/replay/records", index.records)
    stats.set_value("newscrawl/replay/urls", len(index.captures))
    counts = index.counts
    for name, value in (("unreadable_files", len(counts.unreadable)), ("other_hosts", counts.other_hosts),
                        ("truncated", counts.truncated), ("unresolved_revisits", counts.unresolved_revisits),
                        ("too_large", counts.too_large), ("skipped", len(counts.skipped)),
                        ("slow_reads", counts.slow_reads)):
        if value:
            stats.set_value(f"newscrawl/replay/{name}", value)
    if counts.skipped or counts.unreadable:  # named in the report, not only counted
        stats.set_value("newscrawl/replay/lost", [*counts.skipped, *counts.unreadable])
    logger.info("Replaying %d archived URLs from %d archive file(s); no request goes to the network",
                len(index.captures), len(index.sources))


class ReplayMiddleware:
    """Downloader middleware of a replay: every response comes from the archives."""

    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler

    @property
    def index(self) -> ArchiveIndex:
        """The spider's index of the archives, read as its crawl began (before any request)."""
        return self.crawler.spider.replay

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> "ReplayMiddleware":
        if not getattr(crawler.spider, "replays", False):
            raise NotConfigured
        return cls(crawler)

    def process_request(self, request: Request) -> Response:
        try:
            response = archived_response(self.index, request)
        except UnreadableCapture as error:
            logger.error("%s", error)
            self.crawler.stats.inc_value("newscrawl/replay/unreadable")
            raise
        except NotInArchive:
            self.crawler.stats.inc_value("newscrawl/replay/missing")
            raise
        self.crawler.stats.inc_value("newscrawl/replay/responses")
        return response
