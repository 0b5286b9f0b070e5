"""``-a urls_file``: which listed articles came back as listed, which changed, which are gone.

A shared list (a dataset's ``urls.csv``) gives each article's ``content_hash``. At the end
of the run each listed URL is one of: ``unchanged`` (exported with the listed hash),
``changed`` (exported with another body), ``gone`` (not exported: removed from the site,
refused, missing from the archive). The counts go to the stats under
``newscrawl/urls_file/``, the URLs to the run report; changed and gone articles are
warnings of the run (README "Sharing a dataset").
"""
from __future__ import annotations

from typing import Any

from scrapy import signals
from scrapy.crawler import Crawler

# Stats keys; the report (newscrawl/run/report.py) reads the lists.
CHANGED, GONE = "newscrawl/urls_file/changed_urls", "newscrawl/urls_file/gone_urls"


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
        stats.set_value(CHANGED, changed)
        stats.set_value(GONE, gone)


def list_warnings(stats: dict[str, Any]) -> list[str]:
    """The report's warnings about a shared list's articles (none without a list)."""
    listed = stats.get("newscrawl/urls_file/listed")
    if not listed:
        return []
    warnings = []
    for key, what in ((CHANGED, "changed since the list was made (another content_hash)"),
                      (GONE, "not exported (gone from the site or the archive, refused, or failed)")):
        if urls := stats.get(key):
            shown = ", ".join(urls[:3]) + (", …" if len(urls) > 3 else "")
            warnings.append(f"{len(urls)} of {listed} listed article(s) {what}: {shown} (all in the run report)")
    return warnings


def list_report(stats: dict[str, Any]) -> dict[str, Any]:
    """The run report's ``urls_file`` section: how each listed article came back (none
    without a list)."""
    if not stats.get("newscrawl/urls_file/listed"):
        return {}
    return {"urls_file": {"listed": stats["newscrawl/urls_file/listed"],
                          "unchanged": stats["newscrawl/urls_file/unchanged"],
                          "changed": stats.get(CHANGED, []), "gone": stats.get(GONE, [])}}
