"""`scrapy crawl`, made safe for cron: check, take the run, run it, exit with its status.

- Before the crawler (and its log banner) exists, newscrawl/run/preflight.py checks the
  arguments and settings and takes the run (lock, store, output claims, a replay's
  workers): a refusal is one line and an exit status, and Scrapy's own command would
  log a traceback and may create the feed file first.
- The crawl itself goes through Scrapy's public API (``CrawlerProcess``).
- The exit status tells cron how the run went (newscrawl/run/verdict.py has them all).
"""
from __future__ import annotations

import argparse
import gc
import logging
import os
import sys

from scrapy import signals
from scrapy.commands.crawl import Command as ScrapyCrawlCommand
from scrapy.exceptions import UsageError

from newscrawl.run.preflight import Preflight, Refusal, UnknownSpider, tell
from newscrawl.run.report import exit_status

logger = logging.getLogger(__name__)


class Command(ScrapyCrawlCommand):
    def process_options(self, args: list[str], opts: argparse.Namespace) -> None:
        super().process_options(args, opts)
        self.preflight = Preflight(self.settings)
        try:
            self.preflight.check(args, opts)
        except UnknownSpider as error:
            raise UsageError(str(error), print_help=False) from None
        except Refusal as refusal:
            self._fail(args, refusal, refusal.status)

    def _fail(self, args: list[str], error: Exception, status: int) -> None:
        """One line on stderr, and in the log file if there is one (Scrapyd's job log)."""
        line = f"scrapy crawl {args[0] if args else ''}: error: {error}"
        tell(self.settings, "ERROR", line, status)
        sys.exit(status)

    def run(self, args: list[str], opts: argparse.Namespace) -> None:
        if len(args) != 1:
            return super().run(args, opts)  # Scrapy explains the usage
        try:
            if (lock := self.preflight.lock) is not None and lock.stale_pid:
                logger.warning("The previous run (pid %d) did not finish cleanly; taking over its lock %s",
                               lock.stale_pid, lock.path)
            assert self.crawler_process
            crawler = self.crawler_process.create_crawler(args[0])
            stopped: list[bool] = []  # the engine stopped: the run ended, whatever its verdict
            crawler.signals.connect(lambda: stopped.append(True), signal=signals.engine_stopped, weak=False)
            self.crawler_process.crawl(crawler, **opts.spargs)
            self.crawler_process.start()
            self.exitcode = 1 if self.crawler_process.bootstrap_failed else exit_status(crawler, bool(stopped))
        finally:
            self.preflight.release()
        # The run is over, its files closed and synced. Python's last garbage collection at
        # exit would walk the whole heap (an archive's index, parsed pages) for nothing:
        # a fifth of a second per run, measured. Frozen objects are left to the exit.
        gc.freeze()
        if self.settings.getint("NEWSCRAWL_WORKER_INDEX"):
            # A forked replay worker: its output and stats are final, worker 0 has them;
            # ending here skips tearing down a copy of worker 0's interpreter (a third of a
            # second of nothing, that worker 0 would wait for).
            logging.shutdown()
            os._exit(self.exitcode)
