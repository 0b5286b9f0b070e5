"""Syndicated copies: is an exported article a copy of an earlier-published one?

The network republishes one story on several sites; a copy's body is within a few SimHash
bits of its original's (newscrawl/text/simhash.py), and the original is the earliest-published
of them. ``Copies`` is the one place that decides: an extension holding this run's index of
bodies, asking the store of earlier runs (or, in a fleet without one, the fleet's own index in
Redis), and keeping what the run must correct (copies it exported before their originals:
newscrawl/output/corrections.py) or say (copies earlier runs exported: the report's
``copies_of_earlier_runs``, which the dataset builder applies). The near-duplicate pipeline
asks it, and so does worker 0 of a replay on every core for the other workers' articles.
"""
from __future__ import annotations

from typing import Any

from scrapy import signals
from scrapy.crawler import Crawler
from scrapy.exceptions import NotConfigured

from newscrawl.config import REPLAY_KEYS, frontier_key, redis_url
from newscrawl.crawl.findable import Findable
from newscrawl.dedup.redis_store import RedisArticleStore, connect
from newscrawl.dedup.state import ArticleState, SharedStateUnavailable, redis_error
from newscrawl.items import Article
from newscrawl.network.sites import names_another_site
from newscrawl.text.dates import epoch_seconds
from newscrawl.text.simhash import NearDuplicateIndex, earliest, simhash

MODES = ("mark", "drop", "off")


class Copies(Findable):
    """``NEWSCRAWL_NEAR_DUPLICATES``: ``mark`` sets ``duplicate_of`` to the original's URL,
    ``drop`` leaves the copy out, ``off`` does nothing. The original itself is never marked."""

    def __init__(self, crawler: Crawler, mode: str, distance: int, min_words: int,
                 fleet: RedisArticleStore | None = None) -> None:
        self.crawler, self.stats = crawler, crawler.stats
        self.mode, self.distance, self.min_words = mode, distance, min_words
        self.fleet = fleet
        self._run = NearDuplicateIndex()
        self._fingerprints: dict[str, tuple[int, int | None]] = {}  # until the item is exported
        self._copies_of: dict[str, list[str]] = {}  # an original of this run -> its copies exported
        # Copies this run exported before their originals: (copies, original, mode), which
        # the run's ledger corrects in its files before the commit.
        self.superseded: list[tuple[list[str], str, str]] = []
        self._earlier: dict[str, str] = {}  # a copy an earlier run exported -> this run's original

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> "Copies":
        settings = crawler.settings
        mode = settings.get("NEWSCRAWL_NEAR_DUPLICATES")
        if mode not in MODES:
            raise ValueError(f"NEWSCRAWL_NEAR_DUPLICATES={mode!r}: use one of {', '.join(MODES)}")
        if mode == "off":
            raise NotConfigured
        fleet = None
        if not settings.getbool("NEWSCRAWL_INCREMENTAL") and (url := redis_url(settings)):
            # A fleet without a state store shares one index of bodies, cleared with its crawl
            # (newscrawl/distributed/frontier.py): copies are told apart over every worker.
            fleet = RedisArticleStore(connect(url), f"{frontier_key(settings, crawler.spidercls.name)}:{REPLAY_KEYS}:copies")
        copies = cls(crawler, mode, settings.getint("NEWSCRAWL_NEAR_DUPLICATE_DISTANCE"),
                     settings.getint("NEWSCRAWL_NEAR_DUPLICATE_MIN_WORDS"), fleet)
        crawler.signals.connect(copies.engine_stopped, signal=signals.engine_stopped)
        return copies

    @property
    def elsewhere(self) -> Any:
        """Where bodies of earlier runs (or other workers) are looked up: the state store, the
        fleet's index, or nothing."""
        state = ArticleState.of(self.crawler)
        return state.store if state is not None and state.store is not None else self.fleet

    def original_of(self, item: Article) -> str | None:
        """The URL of the original ``item`` copies (counted; in ``mark`` mode set as its
        ``duplicate_of``), or None when it is an original so far. Raises
        SharedStateUnavailable when Redis does not answer."""
        if not item.body or (item.word_count or 0) < self.min_words:
            return None  # too short to tell a copy from a similar brief
        first = self._decide(item.url, simhash(item.body), epoch_seconds(item.published_at),
                             names_another_site(item.source, item.site))
        if first is None or first == item.url:
            return None
        self.stats.inc_value("newscrawl/near_duplicates")
        if self.mode == "drop":
            self.stats.inc_value("newscrawl/dropped/near_duplicate")
        else:
            item.duplicate_of = first
        return first

    def _decide(self, url: str, value: int, published: int | None, attributed: bool) -> str | None:
        """The original's URL, or None when this body is (so far) the original.

        The original is the earliest-published of the near-identical bodies (within
        ``distance`` bits) seen in this run or elsewhere; a body published strictly earlier
        than every one of them is itself the original, unless it names another site as its
        source (``attributed``: "Artikel ini telah tayang di ..."). An original is indexed
        under ``url`` so later copies point to it.
        """
        in_run, elsewhere = self._run.find(value, self.distance), self.elsewhere
        candidates = [in_run]
        try:
            if elsewhere is not None:
                candidates.append(elsewhere.near_duplicate_of(value, self.distance))
        except redis_error() as error:
            raise SharedStateUnavailable(str(error)) from None
        first = earliest(c for c in candidates if c is not None)
        if first is not None and (attributed or published is None or published >= first.published):
            if first is in_run:
                self._copies_of.setdefault(first.url, []).append(url)
            return first.url
        if in_run is not None:
            # This run exported a copy before its original: corrected in the run's files
            # before they are committed (newscrawl/output/corrections.py).
            copies = [in_run.url, *self._copies_of.pop(in_run.url, [])]
            self.superseded.append((copies, url, self.mode))
            self._copies_of.setdefault(url, []).extend(copies)
            self.stats.inc_value("newscrawl/near_duplicates", len(copies) if self.mode != "drop" else 1)
        if first is not None and first is not in_run:
            # An earlier run (or another worker of a fleet) exported a copy of this one as an
            # original: its file is not this run's to change, so the run says so in its report.
            self.stats.inc_value("newscrawl/near_duplicates/original_after_copy")
            self._earlier[first.url] = url
            self.stats.set_value("newscrawl/near_duplicates/copies_of_earlier_runs", self._earlier)
        self._run.add(value, url, published)
        self._fingerprints[url] = (value, published)
        if getattr(elsewhere, "shared", False):
            try:
                elsewhere.add_fingerprint(value, url, published)  # other workers see it now
            except redis_error():
                pass  # indexed in this run; other workers miss it (the copy is kept, unmarked)
        return None

    def fingerprint_of(self, url: str) -> tuple[int | None, int | None]:
        """An exported original's SimHash and publication time, for the store (once)."""
        return self._fingerprints.pop(url, (None, None))

    def engine_stopped(self) -> None:
        if self.fleet is not None:
            self.fleet.close()
            self.fleet = None
