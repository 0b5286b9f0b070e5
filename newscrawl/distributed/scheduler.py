"""The scheduler of distributed mode (set by newscrawl/addons.py when REDIS_URL is set):
scrapy-redis' own, made quiet while its Redis is away. Imported only in that mode."""
from __future__ import annotations

import heapq
import itertools
from typing import Any

import redis
from scrapy_redis.scheduler import Scheduler


class PatientScheduler(Scheduler):
    """scrapy-redis' scheduler, quiet while its Redis is away: no request comes out and
    none is taken in (a request that cannot be queued is left for the next run, counted),
    instead of a traceback on every turn of the engine. SharedFrontier decides, after
    NEWSCRAWL_REDIS_LOST_AFTER seconds, that the worker stops.

    In a replay the requests stay in this process (a priority queue in memory, the shared
    dupefilter still asked): each worker deals itself its articles (archive/workers.deal)
    and answers them from its own files, and an article's pages and later captures must
    stay with the worker that took it: another worker would find the article claimed, and
    drop them."""

    local: list[tuple[int, int, Any]] | None = None

    def open(self, spider: Any) -> Any:
        opened = super().open(spider)
        if getattr(getattr(spider, "options", None), "archives", None):
            self.local, self._order = [], itertools.count()
        return opened

    def enqueue_request(self, request: Any) -> bool:
        try:
            if self.local is None:
                return super().enqueue_request(request)
            if not request.dont_filter and self.df.request_seen(request):
                self.df.log(request, self.spider)
                return False
        except redis.RedisError:
            self.stats.inc_value("newscrawl/distributed/not_queued")
            return False
        heapq.heappush(self.local, (-request.priority, next(self._order), request))  # pages first, then in order
        self.stats.inc_value("scheduler/enqueued/memory")
        return True

    def next_request(self) -> Any:
        if self.local is not None:
            return heapq.heappop(self.local)[2] if self.local else None
        try:
            return super().next_request()
        except redis.RedisError:
            return None

    def has_pending_requests(self) -> bool:
        if self.local is not None:
            return bool(self.local)
        try:
            return super().has_pending_requests()
        except redis.RedisError:
            return False

    def __len__(self) -> int:
        return len(self.local) if self.local is not None else super().__len__()
