"""The run's ledger: its files, their journal and their commit, and what it records at the end.

``RunLedger`` is an extension. Every file of the run (the feeds, through
AtomicFileFeedStorage; the web archive) registers with it and waits, as ``.part``, for the
run's commit: once every file is complete and synced, a commit record goes into the journal
(newscrawl/output/journal.py), the files get their names, and the exports are recorded in
the store (newscrawl/dedup/state.py); copies this run exported before their originals are
corrected in its files first (newscrawl/output/corrections.py). A journal left by a run
that died is settled when the next run opens.
"""
from __future__ import annotations

import logging
import os
from pathlib import Path
from typing import Any, Callable

from scrapy import signals
from scrapy.crawler import Crawler

from newscrawl.crawl.findable import Findable
from newscrawl.dedup.copies import Copies
from newscrawl.dedup.state import ArticleState
from newscrawl.dedup.store import ExportedArticle
from newscrawl.items import Article
from newscrawl.internals import uncount_items
from newscrawl.output.corrections import RunCorrections
from newscrawl.output.journal import RunFiles, recover, stop_for_output_error
from newscrawl.output.partlock import PartLocks, remove_dead_parts

logger = logging.getLogger(__name__)


class RunLedger(Findable):
    """The files of this run, committed all or none, and the record of its exports."""

    def __init__(self, crawler: Crawler, state_dir: Path | None) -> None:
        self.crawler = crawler
        self.stats = crawler.stats
        self.state_dir = state_dir
        self.files = RunFiles(state_dir, lambda: self.stats.get_value("newscrawl/run") or f"pid{os.getpid()}",
                              lambda path, error: stop_for_output_error(crawler, path, error))
        self._expects_feed = bool(crawler.settings.getdict("FEEDS"))
        self._formats: dict[Path, str] = {}  # each feed's format, for corrections
        self.locks = PartLocks()  # a run without a journal: its .part files, held while it lives
        self._committed: list[Callable[[Any], None]] = []  # told the store after the commit

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> "RunLedger":
        incremental = crawler.settings.getbool("NEWSCRAWL_INCREMENTAL")
        ledger = cls(crawler, Path(crawler.settings.get("NEWSCRAWL_STATE_DIR")) if incremental else None)
        crawler.signals.connect(ledger.spider_opened, signal=signals.spider_opened)
        crawler.signals.connect(ledger.item_scraped, signal=signals.item_scraped)
        crawler.signals.connect(ledger.feed_exporter_closed, signal=signals.feed_exporter_closed)
        crawler.signals.connect(ledger.spider_closed, signal=signals.spider_closed)
        return ledger

    @property
    def state(self) -> ArticleState | None:
        return ArticleState.of(self.crawler)

    # ---- the run's files ---------------------------------------------------------------

    def feed_opened(self, final_path: Path, append: bool = False, format_: str | None = None) -> None:
        """A feed file of this run is being written (called by AtomicFileFeedStorage)."""
        self.files.opened(final_path, append=append)
        self._formats[final_path] = format_ or ""
        if self.state_dir is None:  # no journal settles it after a kill: a lock says it lives
            if removed := remove_dead_parts(final_path.parent):
                self.stats.set_value("newscrawl/output/dead_parts_removed",
                                     [*(self.stats.get_value("newscrawl/output/dead_parts_removed") or []), *removed])
            self.locks.hold(self.files.part(final_path))

    def file_opened(self, final_path: Path, finish: Callable[[], None],
                    committed: Callable[[Any], None] | None = None) -> None:
        """Another file of the run (the web archive): renamed with the feeds, all or none;
        ``finish`` completes and syncs its ``.part`` before the commit; ``committed`` is
        given the store once the run's exports are recorded in it (in the same step: a
        failure keeps the journal, as a failed record does)."""
        self.files.opened(final_path, finish)
        if committed is not None:
            self._committed.append(committed)

    def file_renamed(self, final_path: Path, following: Path) -> None:
        """That file rolled over (the archive's current file is final already): the run's
        commit names ``following`` instead, and a dead run's discards its ``.part``."""
        self.files.renamed(final_path, following)

    @property
    def commits_feeds(self) -> bool:
        """Whether feeds wait for the run's commit to get their names (incremental runs)."""
        return self.state_dir is not None and self.files.journaling

    # ---- signals -------------------------------------------------------------------------

    def spider_opened(self, spider: Any = None) -> None:
        """Settle the journals of runs that died (before this run asks what is known)."""
        state = self.state
        if self.state_dir is not None and state is not None and state.store is not None:
            recover(self.state_dir, state.store, self.stats)

    def item_scraped(self, item: Any, response: Any = None, spider: Any = None) -> None:
        state = self.state
        if isinstance(item, Article) and item.url and state is not None:
            copies = Copies.of(self.crawler)
            fingerprint = copies.fingerprint_of(item.url) if copies is not None else (None, None)
            if (record := state.exported_record(item, fingerprint)) is not None:  # the journal holds the run's exports
                self.files.write(record)

    def feed_exporter_closed(self) -> None:
        """Every feed is stored: commit the run's files and record its exports, or set the
        files aside when one of them failed (nothing recorded: the next run does it again)."""
        failed = sum(v for k, v in self.stats.get_stats().items() if k.startswith("feedexport/failed_count"))
        failed += self.files.finish() + (self.files.error is not None)
        exported = self.files.exported()
        state = self.state
        corrections = self._corrections(Copies.of(self.crawler))
        if corrections and not failed:
            exported = self._correct(corrections, exported)
        if failed:
            self._set_aside(failed, exported)
        elif state is not None and state.store is not None:
            if self.files.journaling:
                self.files.commit()
            try:
                self.stats.set_value("newscrawl/state/recorded", state.record(exported))
                for committed in self._committed:
                    committed(state.store)
            except Exception as error:  # a full disk, a read-only or vanished store, Redis gone
                logger.exception("Could not record %d exported articles in the state store: %s. The "
                                 "journal is kept: the next run records them.", len(exported), error)
                self.stats.set_value("newscrawl/state/record_failed", len(exported))
                self.files.close()
                state.close()
                return
        self.files.end()
        self.locks.release()
        if state is not None:
            state.close()

    def _set_aside(self, failed: int, exported: list) -> None:
        if self.files.error is not None:  # the journal itself failed: count what was written
            exported = [None] * (self.stats.get_value("item_scraped_count") or 0)
        logger.error("%d file(s) of the run failed to store: %d articles are NOT recorded as exported "
                     "and will be fetched again next run", failed, len(exported))
        self.stats.set_value("newscrawl/state/not_recorded", len(exported))
        self.stats.set_value("newscrawl/state/files_failed", failed)
        self.files.set_aside()

    @staticmethod
    def _corrections(copies: Copies | None) -> RunCorrections:
        corrections = RunCorrections()
        for copied, original, mode in copies.superseded if copies is not None else ():
            corrections.superseded(copied, original, mode)
        return corrections

    def _correct(self, corrections: RunCorrections, exported: list[ExportedArticle]) -> list[ExportedArticle]:
        """Copies this run exported before their originals: re-pointed or left out of its
        files; the articles left out are not recorded as exported."""
        dropped, uncorrected = corrections.apply(self._formats, self.files.part)
        # What the committed files now say, for the run's report (its field coverage).
        self.stats.set_value("newscrawl/near_duplicates/marked_in_files", sorted(corrections.point))
        self.stats.set_value("newscrawl/near_duplicates/dropped_from_files", sorted(corrections.drop))
        if dropped:
            self.stats.inc_value("newscrawl/dropped/near_duplicate", dropped)
            uncount_items(self.stats, dropped)
        if uncorrected:
            logger.warning("%d feed(s) of a format that cannot be rewritten keep copies exported before their "
                           "originals unmarked", uncorrected)
            self.stats.inc_value("newscrawl/near_duplicates/uncorrected_files", uncorrected)
        return [e for e in exported if e.url not in corrections.drop]

    def abandoned(self) -> str:
        """The run was stopped at once (a second signal): what becomes of its files. With
        a journal the next run settles them, as after kill -9; without (a replay, a run
        without the state store) nothing ever would: its ``.part`` files are removed."""
        if self.files.journaling:
            self.files.close()
            return "its unfinished files (.part) are settled by the next run, which fetches its articles again"
        for final in self.files.feeds:
            part = self.files.part(final)
            part.unlink(missing_ok=True)
            for scratch in final.parent.glob(f"{part.name}.*"):
                scratch.unlink(missing_ok=True)
        self.locks.release()
        return "its unfinished files were removed; run it again"

    def spider_closed(self, spider: Any = None, reason: str | None = None) -> None:
        if not self._expects_feed:  # no feed: no article is recorded (no file holds it)
            if self.files.finish():
                self.files.set_aside()
            elif self.files.journaling:
                self.files.commit()  # the archive is kept
            self.files.end()
            if (state := self.state) is not None:
                state.close()
