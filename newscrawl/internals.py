"""Every place newscrawl reaches below Scrapy's documented API, in one module.

A Scrapy upgrade that changes one of these breaks its test in tests/test_internals.py, not
a crawl in production. Everything else uses Scrapy's public seams (settings, signals,
``from_crawler``, ``engine.crawl``, ``CrawlerProcess``).
"""
from __future__ import annotations

import asyncio
import logging
from typing import Any

from scrapy import Request
from scrapy.settings import BaseSettings


def hold_host_delay(engine: Any, request: Request, delay: float) -> bool:
    """Requests to the request's download slot are at least ``delay`` seconds apart, without
    jitter (robots.txt's Crawl-delay: AutoThrottle keeps adapting, never below it). Scrapy
    has no public way to set one slot's delay: ``downloader.slots`` and ``Slot.delay``.
    Returns whether the slot existed."""
    downloader = engine.downloader
    slot = downloader.slots.get(downloader.get_slot_key(request))
    if slot is None:
        return False
    slot.delay, slot.jitter = max(slot.delay, delay), 0
    return True


def leave_out_component(settings: BaseSettings, base: str, path: str) -> bool:
    """A component of Scrapy's base lists (``EXTENSIONS_BASE``, …) left out, not only set to
    None: Scrapy imports every listed component before it asks whether it is enabled."""
    components = settings[base]
    if path not in components:
        return False
    components.delete(path, components.getpriority(path))
    return True


def engine_of(crawler: Any) -> Any:
    """The crawler's engine, or None before the crawl started (``Crawler.engine`` raises then)."""
    try:
        return crawler.engine if crawler is not None else None
    except RuntimeError:
        return None


def close_spider(crawler: Any, reason: str) -> None:
    """Close the running spider with this finish reason, from a callback or a thread of the
    reactor (a full disk, Redis gone). ``engine.close_spider_async`` is the engine's own."""
    if (engine := engine_of(crawler)) is not None:
        asyncio.ensure_future(engine.close_spider_async(reason=reason))


def uncount_items(stats: Any, count: int) -> None:
    """Items counted as scraped that the run's commit left out of its files (copies dropped
    after their originals came): Scrapy's ``item_scraped_count`` then says what the files hold."""
    stats.inc_value("item_scraped_count", -count)


def engine_running(engine: Any) -> bool:
    """Whether the engine still runs (a graceful stop has not begun)."""
    return engine is not None and engine.running


def engine_has_room(engine: Any) -> bool:
    """Whether the engine would take another request now (``needs_backout``: the downloader
    and scraper are not full)."""
    return not engine.needs_backout()


def quiet_scrapy_log(logger_name: str, log_filter: logging.Filter) -> None:
    """A filter on one of Scrapy's own loggers (its module's name): a traceback already
    said in one line is not said again."""
    logging.getLogger(logger_name).addFilter(log_filter)


def unquiet_scrapy_log(logger_name: str, log_filter: logging.Filter) -> None:
    logging.getLogger(logger_name).removeFilter(log_filter)
