"""What articles this run and earlier runs have: the one place dedup asks.

``ArticleState`` is an extension. It keeps this run's keys and SimHashes in memory and,
when incremental runs are on, the store of earlier runs (newscrawl/store.py). An
article is recorded in the store only when the feed holding it has been finalized
(``feed_exporter_closed`` with no failed feed), so a crash never marks an unwritten
article as done: the next run fetches it again.
"""
from __future__ import annotations

import logging
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from scrapy import signals
from scrapy.crawler import Crawler

from newscrawl.items import Article
from newscrawl.neardup import NearDuplicateIndex
from newscrawl.store import ExportedArticle, SqliteArticleStore, article_keys
from newscrawl.urls import article_id_from_url, canonical_url

logger = logging.getLogger(__name__)
IN_RUN, EARLIER_RUN = "in_run", "earlier_run"


class ArticleState:
    """This run's articles, and (incremental mode) the store of earlier runs' exports."""

    def __init__(self, crawler: Crawler, store: SqliteArticleStore | None) -> None:
        self.stats = crawler.stats
        self.store = store
        self._expects_feed = bool(crawler.settings.getdict("FEEDS"))
        self._run_keys: set[int] = set()
        self._run_hashes = NearDuplicateIndex()
        self._simhash_of: dict[str, int] = {}
        self._pending: list[ExportedArticle] = []

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> "ArticleState":
        store = None
        if crawler.settings.getbool("NEWSCRAWL_INCREMENTAL"):
            state_dir = Path(crawler.settings.get("NEWSCRAWL_STATE_DIR"))
            store = SqliteArticleStore(state_dir / "articles.sqlite3")
        state = cls(crawler, store)
        crawler.signals.connect(state.item_scraped, signal=signals.item_scraped)
        crawler.signals.connect(state.feed_exporter_closed, signal=signals.feed_exporter_closed)
        crawler.signals.connect(state.spider_closed, signal=signals.spider_closed)
        return state

    @classmethod
    def of(cls, crawler: Crawler) -> "ArticleState | None":
        """The crawl's ArticleState extension, if enabled."""
        extensions = getattr(crawler, "extensions", None)
        return next((e for e in getattr(extensions, "middlewares", ()) if isinstance(e, cls)), None)

    # ---- questions -------------------------------------------------------------------

    def exported_before(self, url: str) -> bool:
        """True when an earlier run exported the article at this (page-1) URL.

        Asked by the spider before it requests an article, so known ones cost nothing.
        """
        if self.store is None:
            return False
        url = canonical_url(url)
        return self.store.knows(article_keys(url, urlsplit(url).netloc, article_id_from_url(url)))

    def claim(self, item: Article) -> str | None:
        """Register an item's keys; IN_RUN or EARLIER_RUN when it duplicates an article."""
        keys = article_keys(item.url, item.site, item.article_id)
        if any(k in self._run_keys for k in keys):
            return IN_RUN
        if self.store is not None and self.store.knows(keys):
            return EARLIER_RUN
        self._run_keys.update(keys)
        return None

    def near_duplicate_of(self, url: str, simhash: int, max_distance: int) -> str | None:
        """First-seen URL of a body within ``max_distance`` bits (this run first), else None.

        A body with no near duplicate is indexed under ``url``.
        """
        first = self._run_hashes.find(simhash, max_distance)
        if first is None and self.store is not None:
            first = self.store.near_duplicate_of(simhash, max_distance)
        if first is None:
            self._run_hashes.add(simhash, url)
            self._simhash_of[url] = simhash
        return first

    # ---- signals ---------------------------------------------------------------------

    def item_scraped(self, item: Any, response: Any = None, spider: Any = None) -> None:
        if isinstance(item, Article) and item.url:
            self._pending.append(ExportedArticle(article_keys(item.url, item.site, item.article_id),
                                                 item.url, self._simhash_of.get(item.url)))

    def feed_exporter_closed(self) -> None:
        failed = sum(v for k, v in self.stats.get_stats().items() if k.startswith("feedexport/failed_count"))
        if self.store is not None:
            if failed:
                logger.error("%d feed(s) failed to store: %d articles are NOT recorded as exported "
                             "and will be fetched again next run", failed, len(self._pending))
                self.stats.set_value("newscrawl/state/not_recorded", len(self._pending))
            else:
                self.stats.set_value("newscrawl/state/recorded", self.store.record(self._pending))
        self._pending.clear()
        self._close()

    def spider_closed(self, spider: Any = None, reason: str | None = None) -> None:
        if not self._expects_feed:
            self._close()  # no feed, nothing written: nothing is recorded

    def _close(self) -> None:
        if self.store is not None:
            self.store.close()
            self.store = None
