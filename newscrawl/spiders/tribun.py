"""The `tribun` spider: find articles, fetch every page of each, yield one merged item.

Navigation only: what a page says comes from newscrawl.pages, how pages merge from
newscrawl.crawl.draft, index pages and sitemaps are read by newscrawl/spiders/discovery.py,
a replay's archives by newscrawl/spiders/replaying.py.
Expected trouble (a failed page, bogus pagination) is counted in
stats under ``newscrawl/`` and never loses the pages already collected.
"""
from __future__ import annotations

import asyncio
from datetime import datetime, timezone
from functools import cached_property
from typing import Any, AsyncIterator, Iterator
from urllib.parse import urlsplit

import scrapy
from scrapy.http import Response
from twisted.python.failure import Failure

from newscrawl.archive.records import warc_iso
from newscrawl.crawl.arguments import CHECKED_ARGUMENTS, CrawlArguments, parse_arguments
from newscrawl.crawl.budget import ListingBudget
from newscrawl.crawl.draft import ADDED, REPEATED, WRONG_NUMBER, ArticleDraft
from newscrawl.crawl.meta import CAPTURE_AT, CAPTURED, ENTRY, LATER_CAPTURES, PAGE_KIND
from newscrawl.crawl.waits import Parked
from newscrawl.dedup.state import KNOWN, NEW, REVISIT, ArticleState, SharedStateUnavailable
from newscrawl.distributed.frontier import SharedFrontier
from newscrawl.internals import engine_of, engine_running
from newscrawl.network.sites import may_request, sitemap_urls
from newscrawl.options import DEFAULTS
from newscrawl.network.urls import canonical_url, is_article_url, is_sitemap_url, listing_url, page_all_url
from newscrawl.pages import ArticlePage, extract_article
from newscrawl.spiders.discovery import Discovery
from newscrawl.spiders.one_page import OnePageViews
from newscrawl.spiders.replaying import Replaying
from newscrawl.text.dates import WIB

# Pages of an article already started go before new articles: fewer drafts in memory.
PAGE_PRIORITY = 10


class TribunSpider(OnePageViews, Replaying, Discovery, scrapy.Spider):
    name = "tribun"

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        checked = kwargs.pop(CHECKED_ARGUMENTS, None)  # parsed by `scrapy crawl` already
        self.options: CrawlArguments = checked if isinstance(checked, CrawlArguments) else self.validate_arguments(kwargs)
        super().__init__(*args, **{k: v for k, v in kwargs.items() if k.startswith("_")})
        self.given_hosts = frozenset(urlsplit(u).netloc.lower() for u in self.options.urls)
        self.max_pages = DEFAULTS["NEWSCRAWL_MAX_PAGES"]
        self.seed_backlog = DEFAULTS["NEWSCRAWL_SEED_BACKLOG"]
        self._start_discovery()
        self._requested: set[int] = set()
        self._start_replaying()

    def allows(self, url: str) -> bool:
        """Whether a request may go to this URL (AllowedHostsMiddleware asks)."""
        return may_request(url, self.given_hosts)

    @staticmethod
    def validate_arguments(kwargs: dict[str, Any]) -> CrawlArguments:
        """Parsed ``-a`` arguments; raises ArgumentError naming a bad one."""
        return parse_arguments(kwargs, today=datetime.now(WIB).date())

    @classmethod
    def from_crawler(cls, crawler, *args: Any, **kwargs: Any) -> "TribunSpider":
        spider = super().from_crawler(crawler, *args, **kwargs)
        settings = crawler.settings
        if spider.replays:
            spider._set_up_replay(crawler)
        spider.max_pages = settings.getint("NEWSCRAWL_MAX_PAGES", spider.max_pages)
        spider.max_links = settings.getint("NEWSCRAWL_MAX_LINKS_PER_PAGE", spider.max_links)
        spider.seed_backlog = settings.getint("NEWSCRAWL_SEED_BACKLOG")
        spider.budget = ListingBudget(settings.getint("NEWSCRAWL_MAX_INDEX_PAGES", spider.budget.max_index_pages),
                                      settings.getint("NEWSCRAWL_MAX_SITEMAPS", spider.budget.max_sitemaps))
        return spider

    @cached_property
    def article_state(self) -> ArticleState | None:
        """What earlier runs exported (extensions exist only once the crawl runs).

        Not ``state``: Scrapy's SpiderState extension (on with ``JOBDIR``, as under Scrapyd's
        ``jobs_dir``) assigns ``spider.state`` a dict of its own.
        """
        return ArticleState.of(self.crawler)

    def backfill_progress(self) -> tuple[int, int]:
        """(days whose index pages were reached, days asked for) of a since/until backfill."""
        days = {f"{d.year}-{d.month}-{d.day}" for d in self.options.days}
        return len(days & self._days_reached), len(days)

    # ---- seeds -------------------------------------------------------------------

    async def start(self) -> AsyncIterator[scrapy.Request]:
        if self.replays:
            self._read_archives()  # closes the spider when nothing can be replayed
        frontier = SharedFrontier.of(self.crawler)
        if frontier is not None and not frontier.claim_seeding() and self.deal is None:
            return  # distributed mode: another worker seeded this crawl (a replay's workers deal)
        seeds = self._replay_seeds() if self.options.archives else self._seeds()
        while (request := self._next_seed(seeds)) is not None:
            request.meta[ENTRY] = True
            self._count("entry_points/requested")
            yield request
            if self.deal is not None:  # replaying with others: the next article when this one can start
                await self.deal.room()
            else:
                await self._backlog_room()

    async def _backlog_room(self) -> None:
        """Wait while NEWSCRAWL_SEED_BACKLOG requests wait in the scheduler: seeds are read
        as the crawl takes them, in bounded memory, however long the list (10^6 URLs were
        queued whole: 2.3 GB). The most that waited is a stat."""
        engine = engine_of(self.crawler)
        if engine is None or engine.scheduler is None:
            return
        while True:
            queued = len(engine.scheduler)  # one question a seed (a Redis call in distributed mode)
            self.crawler.stats.max_value("newscrawl/seeds/most_queued", queued)
            if queued < self.seed_backlog or not engine_running(engine):
                return
            await asyncio.sleep(0.05)

    def _seeds(self) -> Iterator[scrapy.Request]:
        if self.options.urls:
            for url in self.options.urls:
                yield from self._route(url)
            return
        for site in self.options.sites:
            if not self.options.since:
                for url in sitemap_urls(site):
                    yield from self._sitemap_request(url)
            for day in self.options.days or [datetime.now(WIB).date()]:
                for section in self.options.sections or [None]:
                    yield from self._listing_request(self._index_url(site, day, section))

    def _route(self, url: str) -> Iterator[scrapy.Request]:
        """A request for a given URL, by what its path says it is."""
        if is_sitemap_url(url):
            yield from self._sitemap_request(url)
        elif is_article_url(url):
            yield from self._article_request(url)
        else:
            yield from self._listing_request(listing_url(url))

    def _article_request(self, url: str, lastmod: str | None = None) -> Iterator[scrapy.Request]:
        """Page 1 of an article, once per run whatever URL variant led to it; a known one
        only when it is due for a revisit (newscrawl/dedup/revisit.py; ``lastmod``: a sitemap's)."""
        url = canonical_url(url)
        key = hash(url)  # an int, not the URL: a backfill holds every article of the run
        if key in self._requested:
            self._count("articles/seen_again")
            return
        self._requested.add(key)
        try:
            known = self.article_state.known(url, lastmod) if self.article_state is not None else NEW
        except SharedStateUnavailable:
            self._count("skipped/redis_unavailable")  # left for the next run
            return
        if known == KNOWN:
            self._count("articles/known")
            return
        self._count("articles/revisited" if known == REVISIT else "articles/discovered")
        if self.replay is not None and self.replay.find(url) is None and self.replay.find(page_all_url(url)):
            url = page_all_url(url)  # another crawler kept only the article's one-page view
        yield scrapy.Request(url, callback=self.parse_article, errback=self.article_failed,
                             meta={PAGE_KIND: "article"})

    def parse(self, response: Response, **kwargs: Any) -> Iterator[Any]:
        """Any URL, routed by what its path says it is, as ``-a urls`` routes it (so
        ``scrapy parse --spider tribun URL`` works for an article, a listing or a sitemap)."""
        if is_sitemap_url(response.url):
            yield from self.parse_sitemap(response)
        elif is_article_url(response.url):
            yield from self.parse_article(response)
        else:
            yield from self.parse_listing(response)

    # ---- articles ----------------------------------------------------------------

    def parse_article(self, response: Response) -> Iterator[Any]:
        """Page 1: start the draft, then fetch the other pages one by one."""
        self._entry_reached(response)
        if (html := self._html(response, "articles")) is None:
            return
        self._count("articles/fetched")
        if (first := self._extract(html, response.url)) is None:
            self._count("articles/failed")
            self._count("articles/failed/extraction")
            return
        for name, raw in first.unreadable_dates.items():  # read once, where the page's text is known
            self.logger.info("%s: %s %r is not a date I can read; set to null", first.url, name, raw)
            self._count(f"normalize/unparseable_date/{name}")
        if first.ignored_canonical:
            self.logger.info("%s declares %s as its canonical URL: another article; kept under its own URL",
                             first.url, first.ignored_canonical)
            self._count("articles/canonical_ignored")
        draft = ArticleDraft.start(first, self.max_pages)
        # A replay: later pages are asked at page 1's capture (its moment, rank included).
        draft.captured = response.meta.get(CAPTURE_AT) or response.meta.get(CAPTURED)
        draft.later = response.meta.get(LATER_CAPTURES, ())
        captured = response.meta.get(CAPTURED)
        draft.captured_at = (warc_iso(captured) if captured else None) or datetime.now(timezone.utc).isoformat()
        if draft.capped:
            self.logger.info("%s announces %d pages; fetching the first %d",
                             draft.url, draft.page_count, self.max_pages)
            self._count("pages/capped")
        yield from self._after_first(draft)

    def parse_page(self, response: Response, draft: ArticleDraft, number: int) -> Iterator[Any]:
        """Page 2..N: add its text to the draft."""
        if (html := self._html(response, "pages")) is None:
            draft.fail(number)
        elif (page := self._extract(html, response.url)) is None:
            self._count("pages/failed")
            draft.fail(number)
        elif (added := draft.add(number, page)) != ADDED:
            self.logger.info("%s: page %d %s; pagination stops", draft.url, number,
                             "repeats an earlier page" if added == REPEATED else "shows another page number")
            self._count("pages/repeated")  # either way the pagination proved bogus
            if added == WRONG_NUMBER:
                self._count("pages/wrong_number")
        else:
            self._count("pages/merged")
        yield from self._next(draft)

    def _extract(self, html: str, url: str) -> ArticlePage | None:
        """The page's fields, or None when extraction raised (a bug: it should never).

        The page then counts as failed, the rest of its article goes on, and the run's
        verdict is ``errors``: a page never loses its whole article.
        """
        try:
            return extract_article(html, url, self.max_links)
        except Exception:
            self.logger.exception("Extraction failed on %s; the page counts as failed", url)
            self._count("errors/extraction")
            return None

    def page_failed(self, failure: Failure) -> Iterator[Any]:
        """A page that failed after retries: keep what the draft has, go on."""
        if failure.check(Parked):
            return  # it waits outside the downloader and comes back
        draft, number = failure.request.cb_kwargs["draft"], failure.request.cb_kwargs["number"]
        self.logger.info("%s: page %d failed (%s)", draft.url, number, failure.getErrorMessage())
        self._count("pages/failed")
        draft.fail(number)
        yield from self._next(draft)

    def article_failed(self, failure: Failure) -> None:
        if failure.check(Parked):
            return  # it waits outside the downloader and comes back
        self.logger.info("article %s failed: %s", failure.request.url, failure.getErrorMessage())
        self._count("articles/failed")
        self._count(f"articles/failed/{failure.type.__name__}")
        self._entry_failed(failure)

    def _page_request(self, draft: ArticleDraft, url: str, callback: Any, errback: Any,
                      **kwargs: Any) -> scrapy.Request:
        # The draft guarantees each page is asked once; a dupefilter drop would lose it.
        meta = {PAGE_KIND: "page", **({CAPTURE_AT: draft.captured} if draft.captured else {})}
        return scrapy.Request(url, callback=callback, errback=errback, dont_filter=True, priority=PAGE_PRIORITY,
                              cb_kwargs={"draft": draft, **kwargs}, meta=meta)

    def _next(self, draft: ArticleDraft) -> Iterator[Any]:
        number = draft.next_number()
        if number is not None:
            yield self._page_request(draft, draft.page_url(number), self.parse_page, self.page_failed, number=number)
            return
        if draft.proving:
            yield from self._judge_view(draft)
        item = draft.to_item()
        item.captured_at = draft.captured_at
        self._count("articles/scraped")
        if item.page_count > 1:
            self._count("articles/multi_page")
        if item.free_access is False:
            self._count("articles/premium")  # exported with its teaser, complete: false
        elif not item.complete:
            self._count("articles/incomplete")
        yield item
        if draft.later:  # a replay: the article's next capture, once this one is exported
            yield scrapy.Request(draft.url, callback=self.parse_article, errback=self.article_failed,
                                 dont_filter=True, priority=PAGE_PRIORITY,
                                 meta={PAGE_KIND: "article", CAPTURE_AT: draft.later[0],
                                       LATER_CAPTURES: draft.later[1:]})
