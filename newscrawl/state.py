"""What articles this run and earlier runs have: the one place dedup asks.

``ArticleState`` is an extension. It keeps this run's keys and SimHashes in memory and,
when incremental runs are on, the store of earlier runs (newscrawl/store.py), which
learns a run's exports only once the files holding them are final (newscrawl/journal.py:
exactly once, even through ``kill -9``). It also decides which known articles to fetch
again and which revisits are new versions (newscrawl/revisit.py).
"""
from __future__ import annotations

import logging
import os
import time
from pathlib import Path
from typing import Any, Callable
from urllib.parse import urlsplit

from scrapy import signals
from scrapy.crawler import Crawler

from newscrawl.corrections import RunCorrections
from newscrawl.distributed import RedisArticleStore, SharedFrontier, connect, redis_url
from newscrawl.extensions import Findable
from newscrawl.items import Article
from newscrawl.journal import RunFiles, finish_renames, recover, stop_for_output_error
from newscrawl.neardup import NearDuplicateIndex, earliest
from newscrawl.normalize import WIB, epoch_seconds, parse_date
from newscrawl.revisit import SLACK, RevisitPolicy, changed
from newscrawl.store import STORE_NAME, ExportedArticle, SqliteArticleStore, Version, article_keys
from newscrawl.urls import article_id_from_url

logger = logging.getLogger(__name__)
IN_RUN, EARLIER_RUN, UNCHANGED, OLDER = "in_run", "earlier_run", "unchanged", "older_capture"
NEW, KNOWN, REVISIT = "new", "known", "revisit"


class SharedStateUnavailable(RuntimeError):
    """The shared store in Redis did not answer: the article is left for the next run."""


def _redis_error() -> type[Exception]:
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
        self.files = RunFiles(state_dir if store is not None else None,
                              lambda: self.stats.get_value("newscrawl/run") or f"pid{os.getpid()}",
                              lambda path, error: stop_for_output_error(crawler, path, error))
        self.crawler = crawler
        self._expects_feed = bool(crawler.settings.getdict("FEEDS"))
        self._run_keys: set[int] = set()
        self._run_versions: dict[int, Version] = {}  # a replay's last version of each article
        self._run_hashes = NearDuplicateIndex()
        self._simhash_of: dict[str, tuple[int, int | None]] = {}  # until the item is exported
        self._copies_of: dict[str, list[str]] = {}  # an original of this run -> its copies exported
        self.corrections = RunCorrections()
        self._formats: dict[Path, str] = {}  # each feed's format, for corrections

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> "ArticleState":
        store = state_dir = None
        if crawler.settings.getbool("NEWSCRAWL_INCREMENTAL"):
            state_dir = Path(crawler.settings.get("NEWSCRAWL_STATE_DIR"))
            state_dir.mkdir(parents=True, exist_ok=True)
            url = redis_url(crawler.settings)
            store = RedisArticleStore(connect(url)) if url else SqliteArticleStore(state_dir / STORE_NAME)
        state = cls(crawler, store, state_dir)
        if store is not None:
            recover(state_dir, store, crawler.stats)
        crawler.signals.connect(state.item_scraped, signal=signals.item_scraped)
        crawler.signals.connect(state.feed_exporter_closed, signal=signals.feed_exporter_closed)
        crawler.signals.connect(state.spider_closed, signal=signals.spider_closed)
        return state

    # ---- questions -------------------------------------------------------------------

    def known(self, url: str, lastmod: str | None = None) -> str:
        """NEW, KNOWN (exported by an earlier run: skip it) or REVISIT (fetch it again: see
        newscrawl/revisit.py) for the article at this canonical page-1 URL.

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
        except _redis_error() as error:
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
            frontier = SharedFrontier.of(self.crawler)
            if frontier is not None and not frontier.claim_article(keys):
                return IN_RUN  # another worker of this crawl has it
        except _redis_error() as error:
            raise SharedStateUnavailable(str(error)) from None
        self._run_keys.update(keys)
        self._remember_version(item, keys)
        return None

    def _remember_version(self, item: Article, keys: list[int]) -> None:
        """A replay of several captures of one article: the version exported last, which
        its next capture is compared with."""
        if getattr(item, "captured", None) is not None:
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
        captured = getattr(item, "captured", None)  # a replay: when this capture was made
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

    def near_duplicate_of(self, url: str, simhash: int, max_distance: int, published: int | None = None,
                          attributed: bool = False, mode: str = "mark") -> str | None:
        """The URL of the original this body copies, or None when it is (so far) the original.

        The original is the earliest-published of the near-identical bodies (within
        ``max_distance`` bits) seen in this run or earlier ones; a body published strictly
        earlier than every one of them is itself the original, unless it names another
        site as its source (``attributed``: "Artikel ini telah tayang di ..."). An original
        is indexed under ``url`` so later copies point to it. Copies of it that this run
        exported already are corrected in the run's files before the commit (``mode``:
        "mark" points them at it, "drop" leaves them out).
        """
        in_run = self._run_hashes.find(simhash, max_distance)
        candidates = [in_run]
        try:
            if self.store is not None:
                candidates.append(self.store.near_duplicate_of(simhash, max_distance))
        except _redis_error() as error:
            raise SharedStateUnavailable(str(error)) from None
        first = earliest(c for c in candidates if c is not None)
        if first is not None and (attributed or published is None or published >= first.published):
            if first is in_run:
                self._copies_of.setdefault(first.url, []).append(url)
            return first.url
        if in_run is not None:
            # This run exported a copy before its original: corrected in the run's files
            # before they are committed (newscrawl/corrections.py).
            copies = [in_run.url, *self._copies_of.pop(in_run.url, [])]
            self.corrections.superseded(copies, url, mode)
            self._copies_of.setdefault(url, []).extend(copies)
            self.stats.inc_value("newscrawl/near_duplicates", len(copies) if mode != "drop" else 1)
        if first is not None and first is not in_run:
            self.stats.inc_value("newscrawl/near_duplicates/original_after_copy")
        self._run_hashes.add(simhash, url, published)
        self._simhash_of[url] = (simhash, published)
        if getattr(self.store, "shared", False):
            try:
                self.store.add_fingerprint(simhash, url, published)  # other workers see it now
            except _redis_error():
                pass  # indexed in this run; other workers miss it (the copy is kept, unmarked)
        return None

    # ---- the run's files (newscrawl/journal.py) ------------------------------------

    def feed_opened(self, final_path: Path, append: bool = False, format_: str | None = None) -> None:
        """A feed file of this run is being written (called by AtomicFileFeedStorage)."""
        self.files.opened(final_path, append=append)
        self._formats[final_path] = format_ or ""

    def file_opened(self, final_path: Path, finish: Callable[[], None]) -> None:
        """Another file of the run (the web archive): renamed with the feeds, all or none;
        ``finish`` completes and syncs its ``.part`` before the commit."""
        self.files.opened(final_path, finish)

    @property
    def commits_feeds(self) -> bool:
        """Whether feeds wait for the run's commit (newscrawl/journal.py) to get their names."""
        return self.store is not None and self.files.journaling

    # ---- signals ---------------------------------------------------------------------

    def item_scraped(self, item: Any, response: Any = None, spider: Any = None) -> None:
        if isinstance(item, Article) and item.url:
            simhash, published = self._simhash_of.pop(item.url, (None, None))
            if self.store is not None:  # the journal, not memory, holds the run's exports
                keys = article_keys(item.url, item.site, item.article_id)
                version = Version(item.version, item.content_hash, item.title, item.page_count, item.updated_at,
                                  self._lastmod.get(item.url), int(time.time()), epoch_seconds(item.published_at))
                self.files.write(vars(ExportedArticle(keys, item.url, simhash, published, vars(version))))

    def feed_exporter_closed(self) -> None:
        failed = sum(v for k, v in self.stats.get_stats().items() if k.startswith("feedexport/failed_count"))
        failed += self.files.finish() + (self.files.error is not None)
        exported = self.files.exported()
        if self.corrections and not failed:
            exported = self._correct(exported)
        if failed:
            if self.files.error is not None:  # the journal itself failed: count what was written
                exported = [None] * (self.stats.get_value("item_scraped_count") or 0)
            logger.error("%d file(s) of the run failed to store: %d articles are NOT recorded as exported "
                         "and will be fetched again next run", failed, len(exported))
            self.stats.set_value("newscrawl/state/not_recorded", len(exported))
            self.stats.set_value("newscrawl/state/files_failed", failed)
            self.files.set_aside()
        elif self.store is not None:
            if self.files.journaling:
                self.files.commit()
            try:
                self.stats.set_value("newscrawl/state/recorded", self.store.record(exported))
                for key, fetched, lastmod in self._touched:
                    self.store.touch(key, fetched, lastmod)
            except Exception as error:  # a full disk, a read-only or vanished store, Redis gone
                logger.exception("Could not record %d exported articles in the state store: %s. The "
                                 "journal is kept: the next run records them.", len(exported), error)
                self.stats.set_value("newscrawl/state/record_failed", len(exported))
                self.files.close()
                self._close()
                return
        self.files.end()
        self._close()

    def _correct(self, exported: list[ExportedArticle]) -> list[ExportedArticle]:
        """Copies this run exported before their originals: re-pointed or left out of its
        files; the articles left out are not recorded as exported."""
        dropped, uncorrected = self.corrections.apply(self._formats)
        if dropped:
            self.stats.inc_value("newscrawl/dropped/near_duplicate", dropped)
            self.stats.inc_value("item_scraped_count", -dropped)
        if uncorrected:
            logger.warning("%d feed(s) of a format that cannot be rewritten keep copies exported before their "
                           "originals unmarked", uncorrected)
            self.stats.inc_value("newscrawl/near_duplicates/uncorrected_files", uncorrected)
        return [e for e in exported if e.url not in self.corrections.drop]

    def spider_closed(self, spider: Any = None, reason: str | None = None) -> None:
        if not self._expects_feed:  # no feed: no article is recorded (no file holds it)
            if self.files.finish():
                self.files.set_aside()
            elif self.files.journaling:
                finish_renames(self.files.feeds, self.files.appends)  # the archive is kept
            self.files.end()
            self._close()

    def _close(self) -> None:
        if self.store is not None:
            self.store.close()
            self.store = None

