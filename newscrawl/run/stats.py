"""The stats file (NEWSCRAWL_STATS_FILE) and one-line "Dropped:" log lines."""
from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from scrapy import signals
from scrapy.exceptions import NotConfigured
from scrapy.logformatter import LogFormatter


class StatsFile:
    """Write the final crawl stats as JSON to ``NEWSCRAWL_STATS_FILE`` when the crawl closes."""

    def __init__(self, path: str, stats) -> None:
        self.path = Path(path)
        self.stats = stats

    @classmethod
    def from_crawler(cls, crawler) -> "StatsFile":
        path = crawler.settings.get("NEWSCRAWL_STATS_FILE")
        if not path:
            raise NotConfigured
        extension = cls(path, crawler.stats)
        # engine_stopped comes after every spider_closed handler, the feed exporter's
        # (and what runs when the feeds are finalized) included: the stats are final.
        crawler.signals.connect(extension.engine_stopped, signal=signals.engine_stopped)
        return extension

    def engine_stopped(self) -> None:
        stats = dict(self.stats.get_stats())
        self.path.parent.mkdir(parents=True, exist_ok=True)
        # Whole or not at all: a replay's worker 0 takes the file's appearance as the word
        # that this worker's output is final (newscrawl/archive/workers.py).
        part = self.path.with_name(self.path.name + ".part")
        part.write_text(json.dumps(stats, default=str, indent=1, sort_keys=True))
        os.replace(part, self.path)


class OneLineLogFormatter(LogFormatter):
    """A dropped item, or one that failed in a pipeline, is logged as one line naming its
    URL, not as the whole item (a body of 5 KB per ERROR line buries the cause)."""

    def item_error(self, item: Any, exception: BaseException, response: Any, spider: Any) -> dict:
        result = dict(super().item_error(item, exception, response, spider))
        result["msg"] = "Error processing %(url)s: %(exception)s"
        result["args"] = {"url": getattr(item, "url", None) or "an item without url",
                          "exception": f"{type(exception).__name__}: {exception}"}
        return result

    def dropped(self, item: Any, exception: BaseException, response: Any, spider: Any) -> dict:
        result = dict(super().dropped(item, exception, response, spider))
        result["msg"] = "Dropped: %(exception)s"
        result["args"] = {"exception": exception}
        return result
