"""The scheduler of distributed mode (set by newscrawl/addons.py when REDIS_URL is set):
scrapy-redis' own, made quiet while its Redis is away. Imported only in that mode."""
from __future__ import annotations

from typing import Any

import redis
from scrapy_redis.scheduler import Scheduler


class PatientScheduler(Scheduler):
    """scrapy-redis' scheduler, quiet while its Redis is away: no request comes out and
    none is taken in (a request that cannot be queued is left for the next run, counted),
    instead of a traceback on every turn of the engine. SharedFrontier decides, after
    NEWSCRAWL_REDIS_LOST_AFTER seconds, that the worker stops."""

    def enqueue_request(self, request: Any) -> bool:
        try:
            return super().enqueue_request(request)
        except redis.RedisError:
            self.stats.inc_value("newscrawl/distributed/not_queued")
            return False

    def next_request(self) -> Any:
        try:
            return super().next_request()
        except redis.RedisError:
            return None

    def has_pending_requests(self) -> bool:
        try:
            return super().has_pending_requests()
        except redis.RedisError:
            return False
