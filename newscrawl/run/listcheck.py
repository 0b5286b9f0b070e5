"""``-a urls_file``: which listed articles came back as listed, which changed, which are gone.

A shared list (a dataset's ``urls.csv``) gives each article's ``content_hash``. At the end
of the run each listed URL is one of: ``unchanged`` (exported with the listed hash),
``changed`` (exported with another body), ``gone`` (not exported: removed from the site,
refused, missing from the archive). The counts go to the stats under
``newscrawl/urls_file/``; the URLs to a file beside the run report
(``<feed>.listed.json``, every one of them) and the first ``SHOWN`` of each kind to the
report itself, so that a list of 10^6 rows never makes a log or a report of tens of MB.
Changed and gone articles are warnings of the run (docs/datasets.md, sharing a dataset).
"""
from __future__ import annotations

import json
import logging
from typing import Any

from scrapy import signals
from scrapy.crawler import Crawler

from newscrawl.output.feeds import beside_feed

logger = logging.getLogger(__name__)
# Stats keys: the first SHOWN URLs of each kind (the report reads them), and the file of all.
CHANGED, GONE = "newscrawl/urls_file/changed_urls", "newscrawl/urls_file/gone_urls"
LISTS_FILE = "newscrawl/urls_file/lists_file"
SHOWN = 100


class ListCheck:
    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler
        self.listed: dict[str, str | None] = {}
        self.exported: dict[str, str | None] = {}

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> "ListCheck":
        check = cls(crawler)
        crawler.signals.connect(check.spider_opened, signal=signals.spider_opened)
        crawler.signals.connect(check.item_scraped, signal=signals.item_scraped)
        crawler.signals.connect(check.spider_closed, signal=signals.spider_closed)
        return check

    def spider_opened(self, spider: Any) -> None:
        self.listed = dict(getattr(getattr(spider, "options", None), "listed", ()))

    def item_scraped(self, item: Any, response: Any = None, spider: Any = None) -> None:
        url = getattr(item, "url", None)
        if url in self.listed:
            self.exported[url] = getattr(item, "content_hash", None)

    def spider_closed(self, spider: Any, reason: str) -> None:
        if not self.listed:
            return
        changed = sorted(u for u, h in self.listed.items() if u in self.exported and h and self.exported[u] != h)
        gone = sorted(u for u in self.listed if u not in self.exported)
        stats = self.crawler.stats
        stats.set_value("newscrawl/urls_file/listed", len(self.listed))
        stats.set_value("newscrawl/urls_file/unchanged", len(self.listed) - len(changed) - len(gone))
        stats.set_value("newscrawl/urls_file/changed", len(changed))
        stats.set_value("newscrawl/urls_file/gone", len(gone))
        stats.set_value(CHANGED, changed[:SHOWN])
        stats.set_value(GONE, gone[:SHOWN])
        if (changed or gone) and (path := beside_feed(self.crawler, spider, ".listed.json")) is not None:
            try:
                with path.open("w", encoding="utf-8") as out:
                    json.dump({"changed": changed, "gone": gone}, out, indent=0)
                stats.set_value(LISTS_FILE, str(path))
            except OSError as error:
                logger.warning("The listed articles that changed or are gone could not be written to %s (%s): "
                               "the report holds the first %d of each", path, error.strerror, SHOWN)


def list_warnings(stats: dict[str, Any]) -> list[str]:
    """The report's warnings about a shared list's articles (none without a list)."""
    listed = stats.get("newscrawl/urls_file/listed")
    if not listed:
        return []
    warnings = []
    where = stats.get(LISTS_FILE) or "the run report"
    for count_key, urls_key, what in (
            ("newscrawl/urls_file/changed", CHANGED, "changed since the list was made (another content_hash)"),
            ("newscrawl/urls_file/gone", GONE, "not exported (gone from the site or the archive, refused, or failed)")):
        if count := stats.get(count_key):
            urls = stats.get(urls_key) or []
            shown = ", ".join(urls[:3]) + (", …" if count > 3 else "")
            warnings.append(f"{count} of {listed} listed article(s) {what}: {shown} (all in {where})")
    return warnings


def list_report(stats: dict[str, Any]) -> dict[str, Any]:
    """The run report's ``urls_file`` section: how each listed article came back (none
    without a list)."""
    if not stats.get("newscrawl/urls_file/listed"):
        return {}
    return {"urls_file": {"listed": stats["newscrawl/urls_file/listed"],
                          "unchanged": stats["newscrawl/urls_file/unchanged"],
                          "changed": stats.get("newscrawl/urls_file/changed", 0),
                          "gone": stats.get("newscrawl/urls_file/gone", 0),
                          "changed_urls": stats.get(CHANGED, []), "gone_urls": stats.get(GONE, []),
                          "urls_shown": SHOWN, "all_urls_in": stats.get(LISTS_FILE)}}
