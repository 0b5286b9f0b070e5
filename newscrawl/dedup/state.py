"""What articles this run and earlier runs have: the one place dedup asks.

``ArticleState`` is an extension that answers questions: is this article known, due for a
revisit, a duplicate, a new version? (A copy of another: newscrawl/dedup/copies.py.) It
keeps this run's keys in memory and, when incremental runs are on, the store of earlier runs
(newscrawl/dedup/store.py), which learns a run's exports only once the files holding them
are final: the run's ledger (newscrawl/output/ledger.py) records them at its commit,
exactly once, even through ``kill -9``. Redis errors become SharedStateUnavailable here.
"""
from __future__ import annotations

import logging
import time
from datetime import datetime
from pathlib import Path
from typing import Callable
from urllib.parse import urlsplit

from scrapy.crawler import Crawler

from newscrawl.config import redis_url
from newscrawl.crawl.findable import Findable
from newscrawl.dedup.redis_store import RedisArticleStore, connect
from newscrawl.dedup.revisit import SLACK, RevisitPolicy, changed
from newscrawl.dedup.store import STORE_NAME, ExportedArticle, SqliteArticleStore, Version, article_keys
from newscrawl.items import Article
from newscrawl.network.urls import article_id_from_url
from newscrawl.text.dates import WIB, epoch_seconds, parse_date

logger = logging.getLogger(__name__)
IN_RUN, EARLIER_RUN, UNCHANGED, OLDER = "in_run", "earlier_run", "unchanged", "older_capture"
NEW, KNOWN, REVISIT = "new", "known", "revisit"


class SharedStateUnavailable(RuntimeError):
    """The shared store in Redis did not answer: the article is left for the next run."""


def redis_error() -> type[Exception]:
    """The Redis client's error type (imported only when one happens)."""
    import redis

    return redis.RedisError


class ArticleState(Findable):
    """This run's articles, and (incremental mode) the store of earlier runs' exports."""

    def __init__(self, crawler: Crawler, store: SqliteArticleStore | None,
                 state_dir: Path | None = None) -> None:
        self.stats = crawler.stats
        self.revisit = RevisitPolicy.from_settings(crawler.settings)
        self._lastmod: dict[str, int] = {}  # URL -> the sitemap <lastmod> seen this run
        self._touched: list[tuple[int, int, int | None]] = []  # unchanged revisits
        self.store = store
        self.state_dir = state_dir
        self.crawler = crawler
        # Another worker of the crawl may have the article (distributed mode: the shared
        # frontier sets this; newscrawl/distributed/frontier.py).
        self.claimer: Callable[[list[int]], bool] | None = None
        self._run_keys: set[int] = set()
        self._run_versions: dict[int, Version] = {}  # a replay's last version of each article

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> "ArticleState":
        store = state_dir = None
        if crawler.settings.getbool("NEWSCRAWL_INCREMENTAL"):
            state_dir = Path(crawler.settings.get("NEWSCRAWL_STATE_DIR"))
            state_dir.mkdir(parents=True, exist_ok=True)
            url = redis_url(crawler.settings)
            store = RedisArticleStore(connect(url)) if url else SqliteArticleStore(state_dir / STORE_NAME)
        return cls(crawler, store, state_dir)

    # ---- questions -------------------------------------------------------------------

    def known(self, url: str, lastmod: str | None = None) -> str:
        """NEW, KNOWN (exported by an earlier run: skip it) or REVISIT (fetch it again: see
        newscrawl/dedup/revisit.py) for the article at this canonical page-1 URL.

        Asked by the spider before it requests an article (with the URL it canonicalized,
        and a sitemap's ``<lastmod>`` if any), so known ones cost nothing.
        """
        if self.store is None:
            return NEW
        keys = article_keys(url, urlsplit(url).netloc, article_id_from_url(url))
        # A date-only <lastmod> (2024-05-01) is that day's start on the site's clock (WIB).
        seen = epoch_seconds(parse_date(lastmod, default_tz=WIB)) if lastmod else None
        if seen is not None and seen > time.time() + SLACK:
            self.stats.inc_value("newscrawl/revisit/lastmod_ahead")  # a date to come: no signal
            seen = None
        if seen is not None:
            self._lastmod[url] = seen
        try:
            if not self.store.knows(keys):
                return NEW
            stored = self.store.latest_version(keys[0]) if self.revisit.enabled else None
        except redis_error() as error:
            raise SharedStateUnavailable(str(error)) from None
        why = self.revisit.due(stored, seen, time.time())
        if why is None:
            return KNOWN
        self.stats.inc_value(f"newscrawl/revisit/due_{why}")
        return REVISIT

    def claim(self, item: Article) -> str | None:
        """Register an item's keys; IN_RUN or EARLIER_RUN when it duplicates an article,
        UNCHANGED when it is a revisit of an exported article that did not change.

        A revisit that changed is no duplicate: its ``version`` and ``previous_hash`` are
        set, and it is exported.
        """
        keys = article_keys(item.url, item.site, item.article_id)
        if any(k in self._run_keys for k in keys):
            return self._next_capture(item, keys) if keys[0] in self._run_versions else IN_RUN
        try:
            if self.store is not None and self.store.knows(keys):
                if (earlier := self._versioned(item, keys)) is not None:
                    return earlier
            if self.claimer is not None and not self.claimer(keys):
                return IN_RUN  # another worker of this crawl has it
        except redis_error() as error:
            raise SharedStateUnavailable(str(error)) from None
        self._run_keys.update(keys)
        self._remember_version(item, keys)
        return None

    @property
    def replaying(self) -> bool:
        """Whether this run replays archives (``-a archive``): its items are captures."""
        return bool(getattr(getattr(self.crawler.spider, "options", None), "archives", ()))

    def _remember_version(self, item: Article, keys: list[int]) -> None:
        """A replay of several captures of one article: the version exported last, which
        its next capture is compared with."""
        if self.replaying:
            self._run_versions[keys[0]] = Version(item.version, item.content_hash, item.title, item.page_count)

    def _next_capture(self, item: Article, keys: list[int]) -> str | None:
        """A later capture of an article this replay exported: the next version when it
        changed, UNCHANGED when not."""
        last = self._run_versions[keys[0]]
        if not changed(last, item.content_hash, item.title, item.page_count):
            self.stats.inc_value("newscrawl/replay/unchanged_captures")
            return UNCHANGED
        item.version, item.previous_hash = last.version + 1, last.content_hash
        self.stats.inc_value("newscrawl/replay/versions")
        self._remember_version(item, keys)
        return None

    def _versioned(self, item: Article, keys: list[int]) -> str | None:
        """A known article met again: EARLIER_RUN (no version of it at this URL is kept),
        UNCHANGED, or None with the item made the next version."""
        stored = self.store.latest_version(keys[0]) if self.revisit.enabled else None
        if stored is None:
            return EARLIER_RUN
        captured = _epoch(item.captured_at) if self.replaying else None  # when this capture was made
        if captured is not None and stored.fetched is not None and captured <= stored.fetched:
            # An archive older than the stored version holds no newer version of it.
            self.stats.inc_value("newscrawl/replay/older_than_stored")
            self._run_keys.update(keys)
            self._run_versions[keys[0]] = stored  # later captures are compared with it
            return OLDER
        if not changed(stored, item.content_hash, item.title, item.page_count):
            self.stats.inc_value("newscrawl/revisit/unchanged")
            self._touched.append((keys[0], int(time.time()), self._lastmod.get(item.url)))
            self._run_keys.update(keys)
            return UNCHANGED
        self.stats.inc_value("newscrawl/revisit/changed")
        item.version, item.previous_hash = stored.version + 1, stored.content_hash
        return None

    # ---- what the run's ledger records (newscrawl/output/ledger.py) ----------------------

    def exported_record(self, item: Article, fingerprint: tuple[int | None, int | None]) -> dict | None:
        """The journal record of an exported article, with its body's ``fingerprint``
        (SimHash and publication time, from newscrawl/dedup/copies.py); None outside
        incremental runs."""
        simhash, published = fingerprint
        if self.store is None:
            return None
        keys = article_keys(item.url, item.site, item.article_id)
        version = Version(item.version, item.content_hash, item.title, item.page_count, item.updated_at,
                          self._lastmod.get(item.url), int(time.time()), epoch_seconds(item.published_at))
        return vars(ExportedArticle(keys, item.url, simhash, published, vars(version)))

    def record(self, exported: list[ExportedArticle]) -> int:
        """Record the run's committed exports and its unchanged revisits in the store;
        raises what the store raises (a full disk, a vanished file, Redis gone)."""
        recorded = self.store.record(exported)
        for key, fetched, lastmod in self._touched:
            self.store.touch(key, fetched, lastmod)
        return recorded

    def close(self) -> None:
        if self.store is not None:
            self.store.close()
            self.store = None


def _epoch(moment: str | None) -> float | None:
    """Seconds since the epoch of an ISO 8601 time (None when there is none)."""
    try:
        return datetime.fromisoformat(moment).timestamp() if moment else None
    except ValueError:
        return None
