"""The ``tribun`` spider's half that reads a multi-page article from its one-page view.

After page 1 of a multi-page article the spider fetches its other pages (PAGES), its
``?page=all`` view alone (ALL: the site's view is proven, newscrawl/crawl/page_all.py), or
both (BOTH: this article proves it; the pages' text is the record's, the two are compared
when the last page is in). While a site's proofs are under way its other multi-page
articles wait (WAIT), and go on when a proof is judged. A view that does not look whole
falls back to the pages.
"""
from __future__ import annotations

from functools import cached_property
from typing import Any, Iterator
from urllib.parse import urlsplit

from scrapy.http import Response
from scrapy.spidermiddlewares.httperror import HttpError
from twisted.python.failure import Failure

from newscrawl.crawl.draft import ArticleDraft
from newscrawl.crawl.page_all import ALL, BOTH, PAGES, WAIT, PageAllViews
from newscrawl.crawl.waits import Parked
from newscrawl.network.urls import page_all_url
from newscrawl.text.normalize import join_paragraphs


class OnePageViews:
    """The pages after the first, or the article's ``?page=all`` view."""

    @cached_property
    def page_all(self) -> PageAllViews:
        """Which sites' ``?page=all`` views are proven (newscrawl/crawl/page_all.py)."""
        store = self.article_state.store if self.article_state is not None else None
        return PageAllViews(self.crawler.settings.get("NEWSCRAWL_PAGE_ALL"), store, self.crawler.stats)

    @cached_property
    def _waiting(self) -> dict[str, list[ArticleDraft]]:
        """Per site, multi-page articles whose page 1 came while the site's proofs were under
        way: planned again when a proof is judged (which every proving article reaches)."""
        return {}

    def _after_first(self, draft: ArticleDraft) -> Iterator[Any]:
        plan = self._view_plan(draft)
        if plan == WAIT:
            self._waiting.setdefault(urlsplit(draft.url).netloc, []).append(draft)
            return
        if plan == PAGES:
            yield from self._next(draft)
            return
        draft.proving = plan == BOTH  # then the pages as well, and the two texts compared
        yield self._page_request(draft, page_all_url(draft.url), self.parse_view, self.view_failed)

    def _view_plan(self, draft: ArticleDraft) -> str:
        """PAGES, BOTH or ALL for a multi-page article; a replay does what the archives allow:
        the pages when they hold them, else a ``?page=all`` capture (ours or another crawler's)."""
        if draft.page_count <= 1 or draft.capped:
            return PAGES
        if self.replay is not None:
            at = draft.captured
            view_only = self.replay.find(draft.page_url(2), at) is None and \
                self.replay.find(page_all_url(draft.url), at) is not None
            return ALL if view_only else PAGES
        return self.page_all.plan(urlsplit(draft.url).netloc)

    def parse_view(self, response: Response, draft: ArticleDraft) -> Iterator[Any]:
        """The ``?page=all`` view: the whole article, if it looks whole; else the pages."""
        html = self._html(response, "pages")
        view = self._extract(html, response.url) if html is not None else None
        not_whole = draft.not_whole(view)
        if draft.proving:  # the pages follow; the two texts are compared when they are in
            draft.view_text = join_paragraphs(view.paragraphs) if not_whole is None else None
            draft.view_not_whole = not_whole
        elif not_whole is None:
            draft.take_whole(view)
            self._count("page_all/used")
            self._count("page_all/requests_saved", draft.page_count - 2)
        else:
            self.logger.info("%s: ?page=all does not look whole (%s); fetching its pages", draft.url, not_whole)
            self._count("page_all/fallbacks")
        yield from self._next(draft)

    def view_failed(self, failure: Failure) -> Iterator[Any]:
        """``?page=all`` failed: the pages, as before (an HTTP error also disproves the view)."""
        if failure.check(Parked):
            return
        draft = failure.request.cb_kwargs["draft"]
        if failure.check(HttpError):
            draft.view_not_whole = f"it answered HTTP {failure.value.response.status}"
        self.logger.info("%s: ?page=all failed (%s); fetching its pages", draft.url, failure.getErrorMessage())
        self._count("page_all/fallbacks" if not draft.proving else "page_all/failed")
        yield from self._next(draft)

    def _judge_view(self, draft: ArticleDraft) -> Iterator[Any]:
        """Every page of a proving article is in: did ``?page=all`` give the same text? Then
        the articles that waited for the verdict go on (from the view, their pages, or a
        new proof when this one had none)."""
        draft.proving = False
        site = urlsplit(draft.url).netloc
        self.page_all.judge(site, draft.url, draft.text if draft.complete else None,
                            draft.view_text, draft.view_not_whole)
        waiting = self._waiting.pop(site, [])
        for waited in waiting:
            yield from self._after_first(waited)
