"""Progress a person can read during long backfills, logged at a steady interval.

One INFO line every ``NEWSCRAWL_PROGRESS_INTERVAL`` seconds: articles exported and their
rate, pages fetched, requests queued and, for ``-a since/until`` backfills, the days
reached and an estimate of the time left.
"""
from __future__ import annotations

import logging
import time
from typing import Any

from scrapy import signals
from scrapy.crawler import Crawler
from scrapy.exceptions import NotConfigured
from twisted.internet import task

logger = logging.getLogger(__name__)


class Progress:
    def __init__(self, crawler: Crawler, interval: float) -> None:
        self.crawler = crawler
        self.interval = interval
        self.started = time.monotonic()
        self.loop: task.LoopingCall | None = None

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> "Progress":
        interval = crawler.settings.getfloat("NEWSCRAWL_PROGRESS_INTERVAL")
        if interval <= 0:
            raise NotConfigured
        progress = cls(crawler, interval)
        crawler.signals.connect(progress.spider_opened, signal=signals.spider_opened)
        crawler.signals.connect(progress.spider_closed, signal=signals.spider_closed)
        return progress

    def spider_opened(self, spider: Any) -> None:
        self.started = time.monotonic()
        self.loop = task.LoopingCall(self.log, spider)
        self.loop.start(self.interval, now=False)

    def spider_closed(self, spider: Any, reason: str) -> None:
        if self.loop is not None and self.loop.running:
            self.loop.stop()

    def log(self, spider: Any) -> None:
        logger.info("%s", self.line(spider))

    def line(self, spider: Any) -> str:
        stats = self.crawler.stats
        minutes = max((time.monotonic() - self.started) / 60, 1e-9)
        exported = stats.get_value("item_scraped_count", 0)
        pages = stats.get_value("response_received_count", 0)
        try:
            scheduler = self.crawler.engine.scheduler
        except RuntimeError:  # no engine yet
            scheduler = None
        queued = len(scheduler) if scheduler is not None and hasattr(scheduler, "__len__") else 0
        text = (f"Progress: {exported} articles exported ({exported / minutes:.0f}/min), "
                f"{pages} pages fetched ({pages / minutes:.0f}/min), {queued} requests queued")
        done, total = getattr(spider, "backfill_progress", lambda: (0, 0))()
        if total:
            left = minutes * (total - done) / done if done else None
            text += f"; backfill: {done} of {total} days reached"
            text += f", about {left:.0f} min left" if left is not None else ""
        return text
