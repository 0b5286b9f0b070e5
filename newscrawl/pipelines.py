"""Item pipelines: small classes, one job each, in this order:

normalize (100) -> validate (200) -> deduplicate (300) -> near-duplicates (400).
"""
from __future__ import annotations

import logging
from datetime import datetime, timezone
from urllib.parse import urlsplit

from scrapy.crawler import Crawler
from scrapy.exceptions import DropItem, NotConfigured

from newscrawl.archive.workers import Plan
from newscrawl.dedup.copies import Copies
from newscrawl.dedup.state import UNCHANGED, ArticleState, SharedStateUnavailable
from newscrawl.items import Article
from newscrawl.network.urls import canonical_url
from newscrawl.text.normalize import clean_text, content_hash, normalize_body, slug, split_authors, unique, word_count

logger = logging.getLogger(__name__)
REQUIRED = ("url", "title", "body", "published_at")
_TEXT_FIELDS = ("article_id", "title", "description", "editor", "image_caption", "image_credit",
                "language", "source")


class _CountingPipeline:
    """A pipeline that needs only the crawl stats, to count what it does."""

    def __init__(self, stats) -> None:
        self.stats = stats

    @classmethod
    def from_crawler(cls, crawler: Crawler):
        return cls(crawler.stats)


class NormalizePipeline(_CountingPipeline):
    """Put every field in its normal form (newscrawl/text/normalize.py) and fill derived fields."""

    def process_item(self, item: Article) -> Article:
        for name in _TEXT_FIELDS:
            setattr(item, name, clean_text(_text(getattr(item, name))) or None)
        item.url = canonical_url(item.url) if item.url else None
        item.site = urlsplit(item.url).netloc if item.url else item.site
        item.related_urls = [u for u in unique(canonical_url(u) for u in _list(item.related_urls))
                             if u != item.url]
        body = normalize_body(_text(item.body))
        item.body = body.text
        item.source = item.source or body.syndicated_from
        item.authors = unique([*(a for n in _list(item.authors) for a in split_authors(n)),
                               *body.byline_authors])
        item.tags = unique(_list(item.tags))
        item.section = slug(_text(item.section))
        # Dates are ISO 8601 already: read once, at extraction, where the page's text is known.
        for name in ("published_at", "updated_at"):
            if not isinstance(getattr(item, name), str):
                setattr(item, name, None)
        item.word_count = word_count(item.body)
        item.content_hash = content_hash(item.body)
        item.crawled_at = datetime.now(timezone.utc).replace(microsecond=0).isoformat()
        return item


def _text(value) -> str | None:
    """A field value as text, whatever type a careless producer gave it."""
    if value is None or isinstance(value, str):
        return value
    if isinstance(value, (list, tuple)):
        return " ".join(str(v) for v in value if v is not None)
    return str(value)


def _list(value) -> list[str]:
    if value is None:
        return []
    if isinstance(value, str):
        return [value]
    return [str(v) for v in value if v is not None]


class ValidatePipeline(_CountingPipeline):
    """Drop an article without url, title, body or published_at; count each missing field."""

    def process_item(self, item: Article) -> Article:
        missing = [name for name in REQUIRED if not getattr(item, name, None)]
        if not missing:
            return item
        for name in missing:
            self.stats.inc_value(f"newscrawl/dropped/missing_{name}")
        self.stats.inc_value("newscrawl/dropped/invalid")
        raise DropItem(f"{item.url or 'article without url'}: missing {', '.join(missing)}", log_level="INFO")


def left_for_next_run(stats, item: Article, error: Exception) -> DropItem:
    """The drop of an article the shared Redis could not judge: counted, fetched next run."""
    stats.inc_value("newscrawl/dropped/redis_unavailable")
    return DropItem(f"{item.url}: the shared Redis does not answer ({error}); left for the next run",
                    log_level="INFO")


class DeduplicatePipeline:
    """One item per canonical URL and per site+article id, in this run and across runs."""

    def __init__(self, state: ArticleState, stats) -> None:
        self.state = state
        self.stats = stats

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> "DeduplicatePipeline":
        state = ArticleState.of(crawler)
        if state is None:
            raise NotConfigured("needs the newscrawl.dedup.state.ArticleState extension")
        return cls(state, crawler.stats)

    def process_item(self, item: Article) -> Article:
        try:
            duplicate = self.state.claim(item)
        except SharedStateUnavailable as error:
            raise left_for_next_run(self.stats, item, error) from None
        if duplicate is None:
            return item
        if duplicate == UNCHANGED:  # a revisit: counted as newscrawl/revisit/unchanged
            raise DropItem(f"{item.url}: unchanged since it was last exported", log_level="INFO")
        self.stats.inc_value(f"newscrawl/dropped/duplicate_{duplicate}")
        raise DropItem(f"{item.url}: already exported ({duplicate.replace('_', ' ')})", log_level="INFO")


class NearDuplicatePipeline:
    """Syndicated copies (``NEWSCRAWL_NEAR_DUPLICATES``): ``mark`` sets ``duplicate_of`` to
    the original's URL, ``drop`` drops the copy, ``off`` does nothing; the decision is the
    ``Copies`` extension's (newscrawl/dedup/copies.py). In a replay on every core only worker
    0 decides, for every worker's articles (newscrawl/archive/worker_merge.py), so one index
    sees them all, as in one process."""

    def __init__(self, copies: Copies, stats) -> None:
        self.copies, self.stats = copies, stats

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> "NearDuplicatePipeline":
        copies = Copies.of(crawler)
        plan = Plan.from_settings(crawler.settings)
        if copies is None or (plan is not None and plan.index > 0):
            raise NotConfigured
        return cls(copies, crawler.stats)

    def process_item(self, item: Article) -> Article:
        try:
            first = self.copies.original_of(item)
        except SharedStateUnavailable as error:
            raise left_for_next_run(self.stats, item, error) from None
        if first is not None and self.copies.mode == "drop":
            raise DropItem(f"{item.url}: near duplicate of {first}", log_level="INFO")
        return item
