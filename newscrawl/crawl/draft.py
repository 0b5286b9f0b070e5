"""An article being assembled from its pages: what was fetched, what is still to fetch.

The draft travels with the page requests (``cb_kwargs``), so it is plain, picklable
data; merging is pure and independent of Scrapy.
"""
from __future__ import annotations

import hashlib
from dataclasses import dataclass, field

from newscrawl.items import Article
from newscrawl.network.urls import page_url
from newscrawl.pages import ArticlePage
from newscrawl.text.normalize import join_paragraphs

# What became of a page offered to the draft: taken, a repeat of one taken, or another page
# than the one asked (a redirect back to page 1, a loop); the last two end the paging.
ADDED, REPEATED, WRONG_NUMBER = "added", "repeated", "wrong_number"


@dataclass
class ArticleDraft:
    """Page 1's fields plus the paragraphs of every page collected so far."""

    fields: dict
    page_count: int  # as the article announces it (may exceed the cap)
    max_pages: int
    pages: dict[int, list[str]] = field(default_factory=dict)
    failed: set[int] = field(default_factory=set)
    fingerprints: set[str] = field(default_factory=set)
    stopped: bool = False  # pagination proved bogus: follow no further pages
    # When page 1 was fetched (UTC, ISO 8601): in a replay, its capture's WARC-Date.
    captured_at: str | None = None
    # A replay: the moment of page 1's capture (its later pages are asked at it), and the
    # moments of the article's later captures in the archives (its next versions, replayed
    # one after the other); moments as ArchiveIndex.capture_moments gives them.
    captured: str | None = None
    later: tuple[str, ...] = ()
    # ?page=all (newscrawl/crawl/page_all.py): the view's text while this article proves it
    # (None: not whole, or not read), why it was not whole, and whether the body came whole
    # from it.
    proving: bool = False
    view_text: str | None = None
    view_not_whole: str | None = None
    whole: bool = False

    @classmethod
    def start(cls, first: ArticlePage, max_pages: int) -> "ArticleDraft":
        draft = cls(fields={**first.fields, "related_urls": []},
                    page_count=first.page_count, max_pages=max_pages)
        draft.add(1, first)
        return draft

    @property
    def capped(self) -> bool:
        return self.page_count > self.max_pages

    @property
    def url(self) -> str:
        return self.fields["url"]

    def page_url(self, number: int) -> str:
        return page_url(self.url, number)

    def next_number(self) -> int | None:
        """The next page to fetch, or None when the article is done."""
        if self.stopped:
            return None
        last = min(self.page_count, self.max_pages)
        return next((n for n in range(2, last + 1)
                     if n not in self.pages and n not in self.failed), None)

    def add(self, number: int, page: ArticlePage) -> str:
        """Take page ``number``; a page that shows another number or repeats a page is refused."""
        fingerprint = hashlib.sha1("\n".join(page.paragraphs).encode()).hexdigest()
        refused = (WRONG_NUMBER if number > 1 and page.page_number != number
                   else REPEATED if fingerprint in self.fingerprints else None)
        if refused is not None:
            self.failed.add(number)
            self.stopped = True
            return refused
        self.fingerprints.add(fingerprint)
        self.page_count = max(self.page_count, page.page_count)
        previous = self.pages.get(number - 1)
        paragraphs = list(page.paragraphs)
        if previous and paragraphs and paragraphs[0] == previous[-1]:
            paragraphs.pop(0)
        self.pages[number] = paragraphs
        related = self.fields.setdefault("related_urls", [])
        related[:] = dict.fromkeys([*related, *page.fields.get("related_urls", [])])  # linear, in order
        return ADDED

    def fail(self, number: int) -> None:
        self.failed.add(number)

    def not_whole(self, view: ArticlePage | None) -> str | None:
        """Why a ``?page=all`` page does not hold the whole article, or None when it may."""
        if view is None:
            return "it could not be read"
        if view.page_count > 1:
            return f"its pager still announces {view.page_count} pages"
        if len(join_paragraphs(view.paragraphs)) <= len(join_paragraphs(self.pages.get(1, []))):
            return "its text is no longer than page 1's"
        return None

    def take_whole(self, view: ArticlePage) -> None:
        """The article's text from its ``?page=all`` view (not_whole said it may): no page to fetch."""
        self.pages = {1: list(view.paragraphs)}
        self.whole = self.stopped = True
        related = self.fields.setdefault("related_urls", [])
        related[:] = dict.fromkeys([*related, *view.fields.get("related_urls", [])])

    @property
    def text(self) -> str:
        """The body as merged so far."""
        return join_paragraphs(p for n in sorted(self.pages) for p in self.pages[n])

    @property
    def complete(self) -> bool:
        return self.whole or all(n in self.pages for n in range(1, self.page_count + 1))

    def to_item(self) -> Article:
        """The merged article: body of all collected pages in page order."""
        body = self.text
        # A premium article's page shows a teaser: never the whole article.
        complete = self.complete and self.fields.get("free_access") is not False
        return Article(**self.fields, body=body or None, page_count=self.page_count, complete=complete)
