"""What articles this run and earlier runs have: the one place dedup asks.

``ArticleState`` is an extension. It keeps this run's keys and SimHashes in memory and,
when incremental runs are on, the store of earlier runs (newscrawl/store.py).

Exactly once, even through ``kill -9``: every exported item is first appended to a
journal (``journal-<run>.jsonl`` in the state dir, with the paths of the run's feeds and
of its web archive, newscrawl/archive.py). The files are committed together, all or none: once every ``.part`` file is complete and synced,
a ``commit`` record goes into the journal, then each ``.part`` is renamed to its final
name, then the journal goes into the store and is deleted. A journal found at start
belongs to a run that died: with its ``commit`` record, the renames are completed and
its articles recorded; without, its ``.part`` files and journal are discarded and the
next crawl fetches those articles again. What is on disk decides, never a clock.
"""
from __future__ import annotations

import fcntl
import json
import logging
import os
from pathlib import Path
from typing import Any, Callable
from urllib.parse import urlsplit

from scrapy import signals
from scrapy.crawler import Crawler

from newscrawl.distributed import RedisArticleStore, SharedFrontier, connect, redis_url
from newscrawl.extensions import Findable
from newscrawl.items import Article
from newscrawl.neardup import NearDuplicateIndex, earliest
from newscrawl.store import STORE_NAME, ExportedArticle, SqliteArticleStore, article_keys
from newscrawl.urls import article_id_from_url

logger = logging.getLogger(__name__)
IN_RUN, EARLIER_RUN = "in_run", "earlier_run"


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
        self.store = store
        self.state_dir = state_dir
        self._journal = None
        self._feeds: list[Path] = []
        self._finishers: list[Callable[[], None]] = []  # files completed before the commit
        self.crawler = crawler
        self._expects_feed = bool(crawler.settings.getdict("FEEDS"))
        self._run_keys: set[int] = set()
        self._run_hashes = NearDuplicateIndex()
        self._simhash_of: dict[str, tuple[int, int | None]] = {}  # until the item is exported

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> "ArticleState":
        store = state_dir = None
        if crawler.settings.getbool("NEWSCRAWL_INCREMENTAL"):
            state_dir = Path(crawler.settings.get("NEWSCRAWL_STATE_DIR"))
            state_dir.mkdir(parents=True, exist_ok=True)
            url = redis_url(crawler.settings)
            store = RedisArticleStore(connect(url)) if url else SqliteArticleStore(state_dir / STORE_NAME)
        state = cls(crawler, store, state_dir)
        state.recover()
        crawler.signals.connect(state.item_scraped, signal=signals.item_scraped)
        crawler.signals.connect(state.feed_exporter_closed, signal=signals.feed_exporter_closed)
        crawler.signals.connect(state.spider_closed, signal=signals.spider_closed)
        return state

    # ---- questions -------------------------------------------------------------------

    def exported_before(self, url: str) -> bool:
        """True when an earlier run exported the article at this canonical page-1 URL.

        Asked by the spider before it requests an article (with the URL it canonicalized),
        so known ones cost nothing.
        """
        if self.store is None:
            return False
        try:
            return self.store.knows(article_keys(url, urlsplit(url).netloc, article_id_from_url(url)))
        except _redis_error() as error:
            raise SharedStateUnavailable(str(error)) from None

    def claim(self, item: Article) -> str | None:
        """Register an item's keys; IN_RUN or EARLIER_RUN when it duplicates an article."""
        keys = article_keys(item.url, item.site, item.article_id)
        if any(k in self._run_keys for k in keys):
            return IN_RUN
        try:
            if self.store is not None and self.store.knows(keys):
                return EARLIER_RUN
            frontier = SharedFrontier.of(self.crawler)
            if frontier is not None and not frontier.claim_article(keys):
                return IN_RUN  # another worker of this crawl has it
        except _redis_error() as error:
            raise SharedStateUnavailable(str(error)) from None
        self._run_keys.update(keys)
        return None

    def near_duplicate_of(self, url: str, simhash: int, max_distance: int,
                          published: int | None = None, attributed: bool = False) -> str | None:
        """The URL of the original this body copies, or None when it is (so far) the original.

        The original is the earliest-published of the near-identical bodies (within
        ``max_distance`` bits) seen in this run or earlier ones; a body published strictly
        earlier than every one of them is itself the original, unless it names another
        site as its source (``attributed``: "Artikel ini telah tayang di ..."). An original
        is indexed under ``url`` so later copies point to it.
        """
        candidates = [self._run_hashes.find(simhash, max_distance)]
        try:
            if self.store is not None:
                candidates.append(self.store.near_duplicate_of(simhash, max_distance))
        except _redis_error() as error:
            raise SharedStateUnavailable(str(error)) from None
        first = earliest(c for c in candidates if c is not None)
        if first is not None and (attributed or published is None or published >= first.published):
            return first.url
        if first is not None:
            self.stats.inc_value("newscrawl/near_duplicates/original_after_copy")
        self._run_hashes.add(simhash, url, published)
        self._simhash_of[url] = (simhash, published)
        if getattr(self.store, "shared", False):
            try:
                self.store.add_fingerprint(simhash, url, published)  # other workers see it now
            except _redis_error():
                pass  # indexed in this run; other workers miss it (the copy is kept, unmarked)
        return None

    # ---- the journal -----------------------------------------------------------------

    def feed_opened(self, final_path: Path) -> None:
        """A feed file of this run is being written (called by AtomicFileFeedStorage)."""
        self._feeds.append(final_path)
        self._write({"feed": str(final_path.resolve())})

    def file_opened(self, final_path: Path, finish: Callable[[], None]) -> None:
        """Another file of the run (the web archive): renamed with the feeds, all or none.

        ``finish`` completes and syncs its ``.part`` (raising OSError when it cannot);
        it is called before the commit.
        """
        self.feed_opened(final_path)
        self._finishers.append(finish)

    def _finish_files(self) -> int:
        """Complete the run's other files; the number that failed."""
        failed = 0
        for finish in self._finishers:
            try:
                finish()
            except OSError as error:
                logger.error("%s", error)
                failed += 1
        self._finishers = []
        return failed

    @property
    def commits_feeds(self) -> bool:
        """Whether feeds wait for the run's commit (see the module doc) to get their names."""
        return self.store is not None and self._journal is not None

    def _commit_feeds(self) -> None:
        """Give every complete ``.part`` its final name, after the journal says so."""
        self._write({"commit": True})
        os.fsync(self._journal.fileno())
        _finish_renames(self._feeds)

    def _write(self, record: dict) -> None:
        if self.store is None:
            return
        if self._journal is None:
            run = self.stats.get_value("newscrawl/run") or f"pid{os.getpid()}"
            self._journal_path = self.state_dir / f"journal-{run}.jsonl"
            self._journal = self._journal_path.open("a", encoding="utf-8")
            # Held while the run lives: recovery leaves a live worker's journal alone.
            fcntl.flock(self._journal.fileno(), fcntl.LOCK_EX)
        # Flushed to the OS at once: a killed process loses nothing it wrote.
        self._journal.write(json.dumps(record) + "\n")
        self._journal.flush()

    def recover(self) -> None:
        """Settle the journals of runs that died (a lock keeps live runs out)."""
        if self.store is None:
            return
        for journal in sorted(self.state_dir.glob("journal-*.jsonl")):
            if _in_use(journal):
                continue
            feeds, articles, committed = _read_journal(journal)
            if committed:
                _finish_renames(feeds)
                self.store.record(articles)
                logger.warning("Recovered %d articles of a run that died after committing %s",
                               len(articles), ", ".join(map(str, feeds)))
                self.stats.inc_value("newscrawl/state/recovered", len(articles))
            else:
                for feed in feeds:
                    feed.with_name(feed.name + ".part").unlink(missing_ok=True)
                logger.warning("Discarded the unfinished output of a run that died (%s); "
                               "its %d articles will be fetched again", journal.name, len(articles))
                self.stats.inc_value("newscrawl/state/discarded", len(articles))
            journal.unlink()

    # ---- signals ---------------------------------------------------------------------

    def item_scraped(self, item: Any, response: Any = None, spider: Any = None) -> None:
        if isinstance(item, Article) and item.url:
            simhash, published = self._simhash_of.pop(item.url, (None, None))
            if self.store is not None:  # the journal, not memory, holds the run's exports
                keys = article_keys(item.url, item.site, item.article_id)
                self._write(vars(ExportedArticle(keys, item.url, simhash, published)))

    def feed_exporter_closed(self) -> None:
        failed = sum(v for k, v in self.stats.get_stats().items() if k.startswith("feedexport/failed_count"))
        failed += self._finish_files()
        exported = self._journalled()
        if failed:
            logger.error("%d feed(s) failed to store: %d articles are NOT recorded as exported "
                         "and will be fetched again next run", failed, len(exported))
            self.stats.set_value("newscrawl/state/not_recorded", len(exported))
            self._set_aside_feeds()
        elif self.store is not None:
            if self._journal is not None:
                self._commit_feeds()
            try:
                self.stats.set_value("newscrawl/state/recorded", self.store.record(exported))
            except Exception as error:  # a full disk, a read-only or vanished store, Redis gone
                logger.exception("Could not record %d exported articles in the state store: %s. The "
                                 "journal is kept: the next run records them.", len(exported), error)
                self.stats.set_value("newscrawl/state/record_failed", len(exported))
                self._close_journal()
                self._close()
                return
        self._end_journal()
        self._close()

    def _journalled(self) -> list[ExportedArticle]:
        """The articles this run exported, read back from its journal."""
        if self._journal is None:
            return []
        self._journal.flush()
        return _read_journal(self._journal_path)[1]

    def _set_aside_feeds(self) -> None:
        """A run whose output failed leaves no file a consumer would take as complete."""
        for final in self._feeds:
            final.with_name(final.name + ".part").unlink(missing_ok=True)
            if final.exists():
                final.rename(final.with_name(final.name + ".failed"))
                logger.error("Renamed %s to %s.failed: its articles will be exported again", final, final.name)

    def _end_journal(self) -> None:
        if self._journal is not None:
            self._close_journal()
            self._journal_path.unlink()

    def _close_journal(self) -> None:
        """Close (and unlock) the journal; left on disk, the next run settles it."""
        if self._journal is not None:
            self._journal.close()
            self._journal = None

    def spider_closed(self, spider: Any = None, reason: str | None = None) -> None:
        if not self._expects_feed:  # no feed: no article is recorded (no file holds it)
            if self._finish_files():
                self._set_aside_feeds()
            elif self._journal is not None:
                _finish_renames(self._feeds)  # the archive is kept
            self._end_journal()
            self._close()

    def _close(self) -> None:
        if self.store is not None:
            self.store.close()
            self.store = None


def _in_use(path: Path) -> bool:
    """True while the run that writes this journal is alive (it holds the file's lock)."""
    with path.open("a") as handle:
        try:
            fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return True
        fcntl.flock(handle.fileno(), fcntl.LOCK_UN)
    return False


def _read_journal(path: Path) -> tuple[list[Path], list[ExportedArticle], bool]:
    """Feeds, articles and whether the feeds were committed; a line cut short by a kill
    is ignored."""
    feeds, articles, committed = [], [], False
    for line in path.read_text(encoding="utf-8").splitlines():
        try:
            record = json.loads(line)
        except ValueError:
            continue
        if "feed" in record:
            feeds.append(Path(record["feed"]))
        elif "commit" in record:
            committed = True
        else:
            articles.append(ExportedArticle(**record))
    return feeds, articles, committed


def _finish_renames(feeds: list[Path]) -> None:
    """Rename each feed's complete ``.part`` file to its final name (again after a kill:
    a rename already done left no ``.part``)."""
    for final in feeds:
        part = final.with_name(final.name + ".part")
        if part.exists():
            os.replace(part, final)
