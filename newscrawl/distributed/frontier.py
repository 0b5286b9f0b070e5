"""Distributed mode: many workers on one shared frontier in Redis (scrapy-redis).

Switched on by ``-s REDIS_URL=redis://host:port/db`` or the ``REDIS_URL`` environment
variable (newscrawl/addons.py then sets scrapy-redis' scheduler and dupefilter).

The article store all workers share is newscrawl/dedup/redis_store.py.

- ``SharedFrontier``: the crawl as all workers see it. One worker seeds it (the others
  find the seeds queued); a worker leaves when the frontier has been empty for
  ``NEWSCRAWL_IDLE_TIMEOUT`` seconds; the last worker to leave an empty frontier clears
  it (its dupefilter, seeding mark and claims), so the next run starts a new crawl.
- A worker that joined and stopped answering before it ended (killed, its machine gone) is
  named by the workers that end after it (``newscrawl/distributed/lost_workers``): what it
  had taken is missing from the run, whose verdict is then ``failed``.
"""
from __future__ import annotations

import asyncio
import logging
import os
import time
from typing import Any

from scrapy import signals
from scrapy.crawler import Crawler
from scrapy.exceptions import DontCloseSpider, NotConfigured
from twisted.internet import task

from newscrawl.config import REPLAY_KEYS, frontier_key, redis_url, worker_name
from newscrawl.crawl.findable import Findable
from newscrawl.dedup.redis_store import connect, where
from newscrawl.dedup.state import ArticleState
from newscrawl.internals import close_spider, engine_of, engine_running

logger = logging.getLogger(__name__)


class SharedFrontier(Findable):
    """The crawl shared by all workers: seeding once, leaving when idle, clearing at the end."""

    def __init__(self, crawler: Crawler, server, worker: str, idle_timeout: float, ttl: float,
                 lost_after: float = 30.0) -> None:
        self.crawler = crawler
        self.server = server
        self.worker = worker
        self.idle_timeout = idle_timeout
        self.ttl = ttl
        self.lost_after = lost_after
        self.unreachable_since: float | None = None
        self.idle_since: float | None = None
        self.heartbeat: task.LoopingCall | None = None

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> "SharedFrontier":
        url = redis_url(crawler.settings)
        if url is None:
            raise NotConfigured
        frontier = cls(crawler, connect(url), worker_name(crawler.settings),
                       crawler.settings.getfloat("NEWSCRAWL_IDLE_TIMEOUT"),
                       crawler.settings.getfloat("NEWSCRAWL_WORKER_TTL"),
                       crawler.settings.getfloat("NEWSCRAWL_REDIS_LOST_AFTER", 30.0))
        crawler.signals.connect(frontier.spider_opened, signal=signals.spider_opened)
        crawler.signals.connect(frontier.spider_idle, signal=signals.spider_idle)
        crawler.signals.connect(frontier.spider_closed, signal=signals.spider_closed)
        crawler.signals.connect(frontier.engine_stopped, signal=signals.engine_stopped)
        return frontier

    def key(self, name: str) -> str:
        return f"{frontier_key(self.crawler.settings, self.crawler.spider.name)}:{name}"

    def queue_length(self) -> int:
        scheduler = self.crawler.engine.scheduler
        return len(scheduler) if scheduler is not None else 0

    def live_workers(self) -> list[str]:
        prefix = self.key("worker:")
        return [k.decode()[len(prefix):] for k in self.server.scan_iter(prefix + "*")]

    # ---- the crawl's life ------------------------------------------------------------

    def spider_opened(self, spider: Any) -> None:
        if (state := ArticleState.of(self.crawler)) is not None:
            state.claimer = self.claim_article  # an article is this worker's only once claimed
        self._beat()
        self.heartbeat = task.LoopingCall(self._beat)
        self.heartbeat.start(max(self.ttl / 3, 0.2), now=False)

    def _beat(self) -> None:
        """Say this worker is alive; a Redis gone for NEWSCRAWL_REDIS_LOST_AFTER seconds
        stops the worker: it finalizes what it has and exits with verdict failed."""
        import redis

        try:
            self.server.set(self.key(f"worker:{self.worker}"), str(os.getpid()), px=int(self.ttl * 1000))
            self.unreachable_since = None
            if self.crawler.stats.get_value("newscrawl/distributed/seeded") is not None \
                    and not self.server.exists(self.key("seeded")) \
                    and not self.crawler.stats.get_value("newscrawl/distributed/frontier_lost"):
                # Only the last worker clears the mark, after the crawl: Redis lost its data.
                logger.error("The shared frontier is gone from Redis (restarted without its data?): "
                             "requests queued there are lost for this run")
                self.crawler.stats.set_value("newscrawl/distributed/frontier_lost", 1)
        except redis.RedisError as error:
            now = time.monotonic()
            self.unreachable_since = self.unreachable_since or now
            if now - self.unreachable_since >= self.lost_after and engine_running(engine_of(self.crawler)):
                logger.error("Redis at %s has not answered for %d s (%s): stopping this worker; what it "
                             "exported is final, the rest is left for the next run",
                             where(redis_url(self.crawler.settings)), now - self.unreachable_since, error)
                self.crawler.stats.set_value("newscrawl/distributed/redis_lost", 1)
                close_spider(self.crawler, "redis_lost")

    def claim_seeding(self) -> bool:
        """True for the one worker that seeds this crawl; a stale, drained crawl is cleared first."""
        with self.server.lock(self.key("startlock"), timeout=30, blocking_timeout=30):
            others = [w for w in self.live_workers() if w != self.worker]
            if not others and self.queue_length() == 0 and self.server.exists(self.key("seeded")):
                self.clear("a previous crawl ended without clearing (a worker was killed)")
            seeding = bool(self.server.set(self.key("seeded"), self.worker, nx=True))
            if seeding:  # a new crawl: the workers of an earlier one are not its lost ones
                self.server.delete(self.key("joined"), self.key("ended"))
            self._note("joined")
        logger.info("Worker %s %s", self.worker, "seeds the crawl" if seeding else
                    "joins the crawl (already seeded by another worker)")
        self.crawler.stats.set_value("newscrawl/distributed/seeded", int(seeding))
        return seeding

    def claim_article(self, keys: list[int]) -> bool:
        """False when another worker of this crawl already has this article."""
        return not keys or self.server.sadd(self.key("claimed"), *keys) == len(set(keys))

    def spider_idle(self, spider: Any) -> None:
        import redis

        try:
            waiting = self.queue_length()
        except redis.RedisError:
            self._look_again(self.POLL_SECONDS)
            raise DontCloseSpider from None  # Redis is away: _beat decides when to give up
        if waiting:
            self.idle_since = None
            self._look_again(0)  # take them now, not at Scrapy's next 5-second heartbeat
            raise DontCloseSpider
        now = time.monotonic()
        self.idle_since = self.idle_since or now
        if now - self.idle_since < self.idle_timeout:
            self._look_again(self.POLL_SECONDS)  # other workers may still add requests
            raise DontCloseSpider

    POLL_SECONDS = 0.5  # how soon an idle worker looks at the shared queue again

    def _look_again(self, delay: float) -> None:
        """Have the engine ask the scheduler again after ``delay`` seconds. An idle engine
        otherwise waits for its heartbeat (every 5 s): a joining worker would miss a short
        crawl. Uses the engine's slot, which Scrapy does not make public."""
        nextcall = getattr(getattr(self.crawler.engine, "_slot", None), "nextcall", None)
        if nextcall is not None:
            nextcall.schedule(delay)

    async def spider_closed(self, spider: Any, reason: str) -> None:
        """The worker stops crawling, but it is still writing its feeds, its archive and its
        records: it stays alive in Redis until the engine has stopped (engine_stopped).
        Ending, it looks for workers of the crawl that were lost (see ``lost_workers``)."""
        self.reason = reason
        self._scheduler = self.crawler.engine.scheduler
        if reason == "redis_lost" and self.heartbeat is not None and self.heartbeat.running:
            self.heartbeat.stop()  # nothing to tell a Redis that is gone
            return
        self._note("ended")
        if reason == "finished" and (lost := await self.lost_workers()):
            logger.error("Worker(s) %s of this crawl stopped answering before they ended (killed?): what "
                         "they had taken is missing from this run", ", ".join(lost))
            self.crawler.stats.set_value("newscrawl/distributed/lost_workers", lost)

    def _note(self, moment: str) -> None:
        """This worker in the crawl's set of workers that joined, or that ended."""
        import redis

        try:
            self.server.sadd(self.key(moment), self.worker)
        except redis.RedisError:
            pass  # _beat tells when Redis is away

    async def lost_workers(self) -> list[str]:
        """The workers that joined this crawl and neither ended nor answer any more. One that
        still answers is waited for, up to ``NEWSCRAWL_WORKER_TTL`` (the time a killed one
        still counts as alive) and a second; one that answers longer is alive and judges
        for itself when it ends."""
        import redis

        deadline = time.monotonic() + self.ttl + 1
        try:
            while True:
                others = {m.decode() for m in self.server.smembers(self.key("joined"))} - {self.worker}
                gone = others - {m.decode() for m in self.server.smembers(self.key("ended"))}
                answering = gone & set(self.live_workers())
                if not answering or time.monotonic() >= deadline:
                    return sorted(gone - answering)
                await asyncio.sleep(0.2)
        except redis.RedisError:
            return []  # _beat tells when Redis is away

    def engine_stopped(self) -> None:
        """Everything of this worker is recorded: leave, and clear the crawl if it was the
        last worker. Cleared earlier, a worker started meanwhile seeded a new crawl and
        exported again what this one was still recording."""
        import redis

        if self.heartbeat is not None and self.heartbeat.running:
            self.heartbeat.stop()
        reason = getattr(self, "reason", None)
        if reason is None or reason == "redis_lost":
            return
        try:
            self.server.delete(self.key(f"worker:{self.worker}"))
            scheduler = getattr(self, "_scheduler", None)
            waiting = len(scheduler) if scheduler is not None else 0
            if reason == "finished" and waiting == 0 and not self.live_workers():
                self.clear("the frontier is empty and this was the last worker")
        except redis.RedisError as error:
            logger.warning("Could not leave the shared crawl in Redis (%s): the next worker clears it", error)

    def clear(self, why: str) -> None:
        """End the shared crawl: the next run seeds a new one."""
        dupefilter = self.crawler.settings.get("SCHEDULER_DUPEFILTER_KEY") % {"spider": self.crawler.spider.name}
        # A distributed replay's shared index and article tickets (newscrawl/archive/shared_index.py).
        replay = list(self.server.scan_iter(self.key(f"{REPLAY_KEYS}:*")))
        self.server.delete(dupefilter, self.key("seeded"), self.key("claimed"), self.key("joined"),
                           self.key("ended"), *replay)
        logger.info("Cleared the shared crawl: %s", why)
        self.crawler.stats.set_value("newscrawl/distributed/cleared", 1)

