"""The one item newscrawl exports: a whole article, all of its pages merged."""
from __future__ import annotations

from dataclasses import dataclass, field, fields


@dataclass
class Article:
    """One article. Field order is the JSONL key order and the CSV column order."""

    url: str | None = None  # canonical page-1 URL
    article_id: str | None = None
    site: str | None = None  # host
    title: str | None = None
    description: str | None = None
    authors: list[str] = field(default_factory=list)
    editor: str | None = None
    published_at: str | None = None  # ISO 8601 with offset
    updated_at: str | None = None
    section: str | None = None
    tags: list[str] = field(default_factory=list)
    image_url: str | None = None
    image_caption: str | None = None
    image_credit: str | None = None
    body: str | None = None  # all pages, paragraphs separated by one blank line
    related_urls: list[str] = field(default_factory=list)
    page_count: int = 1
    complete: bool = True
    # JSON-LD isAccessibleForFree: False for a premium article (its page holds a teaser).
    free_access: bool | None = None
    word_count: int | None = None
    language: str | None = None
    source: str | None = None
    crawled_at: str | None = None  # UTC, ISO 8601
    # When page 1 was fetched (live) or captured (a replay: its WARC-Date), UTC, ISO 8601.
    captured_at: str | None = None
    content_hash: str | None = None
    duplicate_of: str | None = None
    version: int = 1  # 1, then +1 each time a revisit finds the article changed
    previous_hash: str | None = None  # the content_hash of the version before


# Set from the store of earlier runs, not from the page (newscrawl.extract leaves them out).
VERSION_FIELDS = ("version", "previous_hash")
# Set from the fetch, not from the page (newscrawl.extract leaves it out too).
CAPTURE_FIELDS = ("captured_at",)


ARTICLE_FIELDS: tuple[str, ...] = tuple(f.name for f in fields(Article))
