"""`scrapy crawl`, with spider arguments checked before anything starts.

Scrapy's own command would log a traceback for a bad ``-a`` value and may create the
feed file first; this one prints one line naming the argument (or the ``NEWSCRAWL_*``
setting) and exits with status 2, before the crawler (and its log banner) is created.
"""
from __future__ import annotations

import argparse
import sys

from scrapy.commands.crawl import Command as ScrapyCrawlCommand
from scrapy.exceptions import UsageError
from scrapy.spiderloader import get_spider_loader

from newscrawl.arguments import ArgumentError
from newscrawl.config import SettingError, check_settings

USAGE_EXIT = 2


class Command(ScrapyCrawlCommand):
    def process_options(self, args: list[str], opts: argparse.Namespace) -> None:
        super().process_options(args, opts)
        try:
            check_settings(self.settings)
        except SettingError as error:
            self._fail(args, error)
        if len(args) != 1:
            return  # Scrapy's run() explains the usage
        try:
            spidercls = get_spider_loader(self.settings).load(args[0])
        except KeyError as error:
            raise UsageError(str(error), print_help=False) from None
        validate = getattr(spidercls, "validate_arguments", None)
        if validate is None:
            return
        try:
            validate(opts.spargs)
        except ArgumentError as error:
            self._fail(args, error)

    @staticmethod
    def _fail(args: list[str], error: Exception) -> None:
        name = args[0] if args else ""
        print(f"scrapy crawl {name}: error: {error}", file=sys.stderr)
        sys.exit(USAGE_EXIT)
