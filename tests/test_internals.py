"""The Scrapy internals newscrawl still needs (newscrawl/internals.py), one test each: a
Scrapy upgrade that changes one fails here."""
from __future__ import annotations

import inspect
import logging

from scrapy import Request
from scrapy.core.downloader import Downloader, Slot
from scrapy.core.engine import ExecutionEngine
from scrapy.settings import Settings
from scrapy.statscollectors import MemoryStatsCollector
from scrapy.utils.conf import build_component_list
from scrapy.utils.test import get_crawler

from newscrawl import internals


class _Engine:
    def __init__(self, downloader):
        self.downloader = downloader


def test_a_hosts_download_slot_takes_a_delay_without_jitter():
    crawler = get_crawler(settings_dict={"DOWNLOAD_DELAY": 0.5, "DOWNLOAD_DELAY_JITTER": 0.5})
    downloader = Downloader(crawler)
    request = Request("https://www.tribunnews.com/a")
    assert not internals.hold_host_delay(_Engine(downloader), request, 7)  # no slot yet
    downloader.slots[downloader.get_slot_key(request)] = Slot(concurrency=4, delay=0.5, jitter=0.5)
    assert internals.hold_host_delay(_Engine(downloader), request, 7)
    slot = downloader.slots[downloader.get_slot_key(request)]
    assert (slot.delay, slot.jitter) == (7, 0)
    assert slot.download_delay() == 7  # what Scrapy waits between two requests of the slot


def test_a_base_component_left_out_is_not_even_listed():
    settings = Settings()
    path = "scrapy.extensions.telnet.TelnetConsole"
    assert path in build_component_list(settings.getwithbase("EXTENSIONS"))
    assert internals.leave_out_component(settings, "EXTENSIONS_BASE", path)
    assert path not in build_component_list(settings.getwithbase("EXTENSIONS"))
    assert not internals.leave_out_component(settings, "EXTENSIONS_BASE", path)


def test_the_engine_closes_the_spider_with_a_reason_and_says_whether_it_runs():
    parameters = inspect.signature(ExecutionEngine.close_spider_async).parameters
    assert "reason" in parameters and inspect.iscoroutinefunction(ExecutionEngine.close_spider_async)
    assert "self.running" in inspect.getsource(ExecutionEngine.__init__)
    assert not inspect.signature(ExecutionEngine.needs_backout).parameters.keys() - {"self"}

    class Stopped:
        running = False

        def needs_backout(self):
            return True

    assert internals.engine_running(Stopped()) is False and internals.engine_running(None) is False
    assert internals.engine_has_room(Stopped()) is False
    crawler = get_crawler()  # not started: Crawler.engine raises until the crawl starts
    assert internals.engine_of(crawler) is None
    internals.close_spider(crawler, "output_error")  # nothing to close: no error


def test_items_left_out_at_the_commit_are_uncounted():
    stats = MemoryStatsCollector(get_crawler())
    stats.inc_value("item_scraped_count", 5)
    internals.uncount_items(stats, 2)
    assert stats.get_value("item_scraped_count") == 3


def test_scrapys_own_loggers_take_a_filter():
    import scrapy.downloadermiddlewares.robotstxt as robots
    import scrapy.extensions.feedexport as feedexport

    seen = []

    class Keep(logging.Filter):
        def filter(self, record):
            seen.append(record.getMessage())
            return False

    for module in (robots, feedexport):
        quiet = Keep()
        internals.quiet_scrapy_log(module.__name__, quiet)
        module.logger.error("said once already")  # the module's own logger
        internals.unquiet_scrapy_log(module.__name__, quiet)
    assert seen == ["said once already"] * 2
