"""Syndicated copies: is an exported article a copy of an earlier-published one?

The network republishes one story on several sites; a copy's body is within a few SimHash
bits of its original's (newscrawl/text/simhash.py). The original is the earliest-published
of them (ArticleState.near_duplicate_of keeps the index). One ``CopyCheck`` decides for the
near-duplicate pipeline and, in a replay on every core, for the articles worker 0 takes in
from the other workers: one index over all of them, as in one process.
"""
from __future__ import annotations

from scrapy.crawler import Crawler

from newscrawl.dedup.state import ArticleState
from newscrawl.items import Article
from newscrawl.network.sites import names_another_site
from newscrawl.text.dates import epoch_seconds
from newscrawl.text.simhash import simhash


class CopyCheck:
    """``NEWSCRAWL_NEAR_DUPLICATES``: ``mark`` sets ``duplicate_of`` to the original's URL,
    ``drop`` leaves the copy out, ``off`` does nothing. The original itself is never marked."""

    MODES = ("mark", "drop", "off")

    def __init__(self, state: ArticleState, stats, mode: str, distance: int, min_words: int) -> None:
        self.state, self.stats = state, stats
        self.mode, self.distance, self.min_words = mode, distance, min_words

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> "CopyCheck | None":
        """The crawl's check, or None when copies are not looked for."""
        settings = crawler.settings
        mode = settings.get("NEWSCRAWL_NEAR_DUPLICATES")
        if mode not in cls.MODES:
            raise ValueError(f"NEWSCRAWL_NEAR_DUPLICATES={mode!r}: use one of {', '.join(cls.MODES)}")
        state = ArticleState.of(crawler)
        if mode == "off" or state is None:
            return None
        return cls(state, crawler.stats, mode, settings.getint("NEWSCRAWL_NEAR_DUPLICATE_DISTANCE"),
                   settings.getint("NEWSCRAWL_NEAR_DUPLICATE_MIN_WORDS"))

    def original_of(self, item: Article) -> str | None:
        """The URL of the original ``item`` copies (counted; in ``mark`` mode set as its
        ``duplicate_of``), or None when it is an original so far. Raises what
        ArticleState raises (SharedStateUnavailable: Redis did not answer)."""
        if not item.body or (item.word_count or 0) < self.min_words:
            return None  # too short to tell a copy from a similar brief
        first = self.state.near_duplicate_of(item.url, simhash(item.body), self.distance,
                                             published=epoch_seconds(item.published_at),
                                             attributed=names_another_site(item.source, item.site),
                                             mode=self.mode)
        if first is None or first == item.url:
            return None
        self.stats.inc_value("newscrawl/near_duplicates")
        if self.mode == "drop":
            self.stats.inc_value("newscrawl/dropped/near_duplicate")
        else:
            item.duplicate_of = first
        return first
