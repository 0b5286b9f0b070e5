"""Project commands (``COMMANDS_MODULE``): `crawl` replaces Scrapy's to reject bad arguments
cleanly and set exit statuses; `parse` and `shell` only look (LookOnly). (Scrapy's `check`
is Scrapy's: the spider has no contracts, so it runs nothing.)"""
from __future__ import annotations

import argparse


class LookOnly:
    """A mixin for ``scrapy parse`` and ``shell``: a look at pages, not a run.

    They write no output file, no web archive, no run report, no journal, and record nothing in the
    store of exported articles: otherwise looking at an article with ``scrapy parse``
    would mark it exported, and the next crawl would skip it.
    """

    def process_options(self, args: list[str], opts: argparse.Namespace) -> None:
        super().process_options(args, opts)
        if not (getattr(opts, "output", None) or getattr(opts, "overwrite_output", None)):
            self.settings.set("FEEDS", {}, priority="cmdline")
        self.settings.set("NEWSCRAWL_INCREMENTAL", False, priority="cmdline")
        self.settings.set("NEWSCRAWL_ARCHIVE", False, priority="cmdline")
        extensions = {**self.settings.getdict("EXTENSIONS"),
                      "newscrawl.run.report.RunReport": None, "newscrawl.run.progress.Progress": None}
        self.settings.set("EXTENSIONS", extensions, priority="cmdline")
