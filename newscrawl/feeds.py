"""Output files: written under a temporary name and renamed when complete; safe CSV.

A consumer (or the next cron job) globbing ``output/tribun/*.jsonl`` never sees a
half-written file: until the crawl closes the feed it is ``<name>.part``.
"""
from __future__ import annotations

import os
import shutil
from datetime import datetime, timezone
from pathlib import Path
from typing import IO, Any

from scrapy.crawler import Crawler
from scrapy.exporters import CsvItemExporter
from scrapy.extensions.feedexport import FileFeedStorage
from scrapy.settings import Settings

from newscrawl.items import ARTICLE_FIELDS

PART_SUFFIX = ".part"
# Characters that make a spreadsheet treat a cell as a formula (CSV injection).
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


class AtomicFileFeedStorage(FileFeedStorage):
    """A local feed file that appears under its name only once complete."""

    def open(self, spider: Any) -> IO[bytes]:
        final = Path(self.path)
        final.parent.mkdir(parents=True, exist_ok=True)
        self.part = final.with_name(final.name + PART_SUFFIX)
        return self.part.open("wb")

    def store(self, file: IO[bytes]) -> None:
        file.flush()
        os.fsync(file.fileno())
        file.close()
        final = Path(self.path)
        if self.write_mode == "ab" and final.exists():
            with final.open("ab") as target, self.part.open("rb") as source:
                shutil.copyfileobj(source, target)
                target.flush()
                os.fsync(target.fileno())
            self.part.unlink()
        else:
            os.replace(self.part, final)


class SafeCsvItemExporter(CsvItemExporter):
    """CSV with every Article column in schema order, lists joined, formulas neutralised."""

    def __init__(self, file: IO[bytes], *, list_separator: str = " | ", **kwargs: Any) -> None:
        kwargs.setdefault("fields_to_export", list(ARTICLE_FIELDS))
        super().__init__(file, join_multivalued=list_separator, **kwargs)

    @classmethod
    def from_crawler(cls, crawler: Crawler, file: IO[bytes], **kwargs: Any) -> "SafeCsvItemExporter":
        separator = crawler.settings.get("NEWSCRAWL_CSV_LIST_SEPARATOR")
        return cls(file, list_separator=separator, **kwargs)

    def serialize_field(self, field: Any, name: str, value: Any) -> Any:
        return neutralise(super().serialize_field(field, name, value))


def neutralise(value: Any) -> Any:
    """A cell a spreadsheet will not run: text starting with = + - @ tab or CR gets a ``'``.

    >>> neutralise("=HYPERLINK(1)"), neutralise("-5 derajat"), neutralise("Jakarta"), neutralise(True)
    ("'=HYPERLINK(1)", "'-5 derajat", 'Jakarta', 'true')
    """
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str) and value.startswith(FORMULA_START):
        return "'" + value
    return value


class FeedsAddon:
    """``NEWSCRAWL_CSV_FEED=1`` adds a CSV file beside each run's JSONL file."""

    def update_settings(self, settings: Settings) -> None:
        if not settings.getbool("NEWSCRAWL_CSV_FEED"):
            return
        feeds = dict(settings.getdict("FEEDS"))
        feeds["output/%(name)s/%(name)s-%(run)s.csv"] = {"format": "csv", "encoding": "utf-8"}
        settings.set("FEEDS", feeds, priority=settings.getpriority("FEEDS") or "project")


def uri_params(params: dict[str, Any], spider: Any) -> dict[str, Any]:
    """Feed URI parameters plus ``run``: the run's start, UTC to the microsecond.

    Every feed of one run shares it (it is kept in the stats as ``newscrawl/run``),
    and two runs started in the same second still get two files.
    """
    stats = spider.crawler.stats
    if not stats.get_value("newscrawl/run"):
        stats.set_value("newscrawl/run", datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%S.%fZ"))
    return {**params, "run": stats.get_value("newscrawl/run")}
