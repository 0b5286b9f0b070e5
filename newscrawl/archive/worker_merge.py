"""Worker 0 of a replay on every core (``-a workers``, newscrawl/archive/workers.py): when
its own share is done, the other workers' articles pass through its feeds and their counts
into its stats, which its verdict judges. Copies are decided here, for every worker's
articles, by worker 0's one index (the others do not look for them): ``duplicate_of`` is
what one process gives."""
from __future__ import annotations

import json
import os
import shutil
import signal
import time
from typing import Any

from scrapy import signals
from scrapy.crawler import Crawler
from scrapy.exceptions import DropItem, NotConfigured

from newscrawl.archive.workers import INDEX_STATS, OWN_STATS, Plan
from newscrawl.dedup.copies import Copies
from newscrawl.items import Article


class WorkerMerge:
    """Worker 0's extension: when its share is done, the other workers' articles and counts."""

    def __init__(self, crawler: Crawler, plan: Plan) -> None:
        self.crawler, self.plan = crawler, plan
        self.merged = False

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> "WorkerMerge":
        plan = Plan.from_settings(crawler.settings)
        if plan is None or plan.index != 0:
            raise NotConfigured
        merge = cls(crawler, plan)
        crawler.signals.connect(merge.spider_idle, signal=signals.spider_idle)
        crawler.signals.connect(merge.spider_closed, signal=signals.spider_closed)
        crawler.signals.connect(merge.engine_stopped, signal=signals.engine_stopped)
        return merge

    def spider_closed(self, spider: Any, reason: str) -> None:
        """Worker 0 stopped before its share was done (a signal, an error): the others stop
        too, as a run stopped by a signal does; what they exported is not taken in."""
        if not self.merged:
            self.merged = True
            self.plan.signal(signal.SIGTERM)

    def spider_idle(self, spider: Any) -> None:
        if self.merged:
            return
        self.merged = True
        statuses = self._wait()
        stats = self.crawler.stats
        copies = Copies.of(self.crawler)
        failed, exported = [], [stats.get_value("item_scraped_count", 0)]
        for index, status in enumerate(statuses, start=1):
            exported.append(0)
            if status is not None:  # it ended without its stats: its output is not final
                failed.append(f"worker {index} exit status {status}")
                continue
            self._merge_stats(index)
            for item in self._items(index):  # counted in item_scraped_count by Scrapy's CoreStats
                if (dropped := self._copy_dropped(copies, item)) is not None:
                    self.crawler.signals.send_catch_log(signal=signals.item_dropped, item=item, response=None,
                                                        spider=spider, exception=dropped)
                    continue
                self.crawler.signals.send_catch_log(signal=signals.item_scraped, item=item, response=None,
                                                    spider=spider)
                exported[index] += 1
        if failed:
            stats.set_value("newscrawl/workers/failed", failed)
        stats.set_value("newscrawl/workers", self.plan.workers)
        stats.set_value("newscrawl/workers/exported", exported)  # how the articles were dealt

    @staticmethod
    def _copy_dropped(copies: Copies | None, item: Article) -> DropItem | None:
        """The drop of a copy left out (``drop`` mode), else None (a copy marked in ``mark``)."""
        if copies is None or (first := copies.original_of(item)) is None or copies.mode != "drop":
            return None
        return DropItem(f"{item.url}: near duplicate of {first}", log_level="INFO")

    def _wait(self) -> list[int]:
        """Each worker's exit status. The reactor waits with this process: a SIGINT or
        SIGTERM meanwhile is passed on to the workers (they stop as a run does, keeping
        what they exported) and then to Scrapy's own handler."""
        came: list[int] = []

        def forward(signum: int, frame: Any) -> None:
            came.append(signum)
            self.plan.signal(signum)

        previous = {number: signal.signal(number, forward) for number in (signal.SIGINT, signal.SIGTERM)}
        try:
            statuses = [self._finished(index, pid) for index, pid in enumerate(self.plan.pids, start=1)]
        finally:
            for number, handler in previous.items():
                signal.signal(number, handler)
        if came and callable(previous[came[0]]):
            previous[came[0]](came[0], None)
        return statuses

    def _finished(self, index: int, pid: int) -> int | None:
        """None once the worker's stats are written (its output is final then: it is
        still ending, and reaped at the end), else its exit status."""
        stats = self.plan.folder / f"stats-{index}.json"
        while not stats.exists():
            done, status = os.waitpid(pid, os.WNOHANG)
            if done:
                return None if stats.exists() else os.waitstatus_to_exitcode(status)
            time.sleep(0.005)
        return None

    def _merge_stats(self, index: int) -> None:
        try:
            theirs = json.loads((self.plan.folder / f"stats-{index}.json").read_text())
        except (OSError, ValueError):
            return
        stats = self.crawler.stats
        for key, value in theirs.items():
            if key in INDEX_STATS or key in OWN_STATS:
                continue
            if isinstance(value, (int, float)) and not isinstance(value, bool):
                stats.inc_value(key, value)

    def _items(self, index: int):
        path = self.plan.folder / f"worker-{index}.jsonl"
        if not path.exists():
            return
        with path.open(encoding="utf-8") as lines:
            for line in lines:
                if line.strip():
                    yield Article(**json.loads(line))

    def engine_stopped(self) -> None:
        # The workers may still be ending (their output is final): the crawl command reaps
        # them as this process ends (stop_worker), meanwhile this one closes its own.
        shutil.rmtree(self.plan.folder, ignore_errors=True)
