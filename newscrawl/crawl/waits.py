"""Requests that must wait (a retry's backoff, a host's ``Retry-After``), parked outside the engine.

A request that waits inside a downloader middleware, or in its host's download slot, still
counts against ``CONCURRENT_REQUESTS``: four hosts asking us to come back in 8 s held every
place of the downloader, and a fifth, healthy host waited with them. Here a waiting request
leaves the downloader (``Parked``, which the spider's errbacks pass over) and is handed back
to the engine (``engine.crawl``, Scrapy's public way to schedule a request) when its time
comes; meanwhile the spider is kept open (``spider_idle`` -> ``DontCloseSpider``). A host
that asked to wait is not asked again before its time, by any request.
"""
from __future__ import annotations

import asyncio
import logging
import time
from typing import Any
from urllib.parse import urlsplit

from scrapy import Request, signals
from scrapy.exceptions import DontCloseSpider, IgnoreRequest

from newscrawl.internals import engine_of, engine_running

logger = logging.getLogger(__name__)
# request.meta: the monotonic time before which this request is not to be sent.
NOT_BEFORE = "newscrawl_not_before"


class Parked(IgnoreRequest):
    """The request waits outside the engine and comes back on its own: not a failure."""


class Waits:
    """Hosts paused until a time, and the requests parked until theirs."""

    def __init__(self, crawler: Any) -> None:
        self.crawler = crawler
        self.paused: dict[str, float] = {}  # netloc -> monotonic time it may be asked again
        self.parked: dict[int, tuple[Request, asyncio.TimerHandle]] = {}
        crawler.signals.connect(self._idle, signal=signals.spider_idle)
        crawler.signals.connect(self._closed, signal=signals.spider_closed)

    def pause(self, url: str, seconds: float) -> None:
        """The host of ``url`` is not asked again for ``seconds`` (Retry-After)."""
        netloc = urlsplit(url).netloc
        now = time.monotonic()
        if self.paused.get(netloc, 0.0) <= now:  # once per pause, not per request
            logger.info("%s asks to wait %.0f s (Retry-After): not asked again before then", netloc, seconds)
        self.paused[netloc] = max(self.paused.get(netloc, 0.0), now + seconds)

    def due(self, request: Request) -> float:
        """Seconds this request still has to wait (0: send it now)."""
        until = max(request.meta.get(NOT_BEFORE, 0.0), self.paused.get(urlsplit(request.url).netloc, 0.0))
        return max(0.0, until - time.monotonic())

    def park(self, request: Request, seconds: float) -> None:
        """Take the request out of the downloader; the engine gets it back in ``seconds``."""
        key = id(request)
        handle = asyncio.get_running_loop().call_later(seconds, self._release, key)
        self.parked[key] = (request, handle)
        self.crawler.stats.inc_value("newscrawl/retries/parked")
        raise Parked(f"{request.url} waits {seconds:.1f} s outside the downloader")

    def _release(self, key: int) -> None:
        request, _ = self.parked.pop(key)
        engine = engine_of(self.crawler)
        if engine_running(engine):
            # A copy: the engine may not yet have let go of the parked one (a short wait
            # ends before its failure is handled), and one object in flight twice fails there.
            engine.crawl(request.replace())

    def _idle(self, spider: Any = None) -> None:
        if self.parked:
            raise DontCloseSpider("requests are waiting to be retried")

    def _closed(self, spider: Any = None, reason: str | None = None) -> None:
        """A stop (SIGTERM, Ctrl-C) does not wait for them: they are left for the next run."""
        for _, handle in self.parked.values():
            handle.cancel()
        if self.parked:
            self.crawler.stats.inc_value("newscrawl/retries/abandoned_at_stop", len(self.parked))
        self.parked.clear()
