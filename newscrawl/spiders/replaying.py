"""A replay's half of the ``tribun`` spider: crawling from web archives (``-a archive``).

``Replaying`` sets a replay up (its settings, its place among ``-a workers`` or a fleet's
workers and how it takes its articles), reads the archives' index once the crawl has
begun (in ``start()``, not while Scrapy builds the spider: seconds on a large archive,
and a signal must be able to stop it), and seeds every article the archives hold, each
capture of it in turn, oldest first. Navigation is the spider's own (its ``_route``).
"""
from __future__ import annotations

from typing import Any, Iterator
from urllib.parse import urlsplit

import scrapy
from scrapy.exceptions import CloseSpider

from newscrawl.archive.replay import ArchiveIndex, count_index, read_archives, replay_settings, replay_tickets
from newscrawl.archive.shared_index import TicketsLost
from newscrawl.archive.workers import Deal, Plan
from newscrawl.crawl.meta import CAPTURE_AT, LATER_CAPTURES
from newscrawl.network.urls import is_article_url


class Replaying:
    """The replay of the spider (``-a archive``): set up, the index read, the seeds."""

    def _start_replaying(self) -> None:
        self.replay: ArchiveIndex | None = None  # a replay's archives (-a archive)
        self.workers: Plan | None = None  # this process's place among a replay's -a workers
        self.deal: Deal | None = None  # how it takes its articles when several replay together
        self.not_indexed: str | None = None  # why the archives' shared index could not be built
        self.stopped_early = False  # a signal came while the archives were read

    @property
    def replays(self) -> bool:
        """Whether this run replays archives (``-a archive``) instead of asking the network."""
        return bool(self.options.archives)

    def _set_up_replay(self, crawler: Any) -> None:
        """A replay's settings, its place among the workers and how it takes its articles."""
        settings = crawler.settings
        replay_settings(settings)  # the crawl command did already; other runners too
        self.workers = Plan.from_settings(settings)
        if (tickets := replay_tickets(settings, self.name, self.workers)) is not None:
            self.deal = Deal(crawler, tickets)

    def _read_archives(self) -> None:
        """Index the archives, once the crawl has begun, and allow the hosts of their
        articles (as a live run allows its ``-a urls`` hosts: a local mirror's, in tests)
        besides the network; a shared index that could not be built, or a signal while
        reading, closes the spider (exit 4, exit 6)."""
        self.replay, self.stopped_early, self.not_indexed = read_archives(
            list(self.options.archives), self.given_hosts, self.crawler.settings, self.workers, self.name)
        self.given_hosts |= {urlsplit(u).netloc.lower() for u in self.replay.article_urls(is_article_url)}
        count_index(self.crawler.stats, self.replay)
        if self.not_indexed:
            self.crawler.stats.set_value("newscrawl/replay/not_indexed", self.not_indexed)
            raise CloseSpider("not_indexed")
        if self.stopped_early:
            raise CloseSpider("shutdown")  # interrupted before the crawl began

    def _replay_seeds(self) -> Iterator[scrapy.Request]:
        """The ``-a urls`` if given, else every article the archives hold. An article
        captured several times is replayed once per capture, oldest first (the next one
        when the last is done): every version the archives hold comes back."""
        urls = self.options.urls or self.replay.article_urls(is_article_url)
        for url in self.deal.articles(urls) if self.deal is not None else urls:
            for request in self._route(url):
                if request.callback == self.parse_article and len(moments := self.replay.capture_moments(request.url)) > 1:
                    request.meta[CAPTURE_AT], request.meta[LATER_CAPTURES] = moments[0], tuple(moments[1:])
                yield request

    def _next_seed(self, seeds: Iterator[scrapy.Request]) -> scrapy.Request | None:
        """The next seed; a distributed replay whose Redis died stops here (one line, failed)."""
        try:
            return next(seeds, None)
        except TicketsLost as error:
            self.logger.error("%s: this worker takes no more articles and stops; its output is final, "
                              "the replay is to be run again", error)
            self.crawler.stats.set_value("newscrawl/distributed/redis_lost", 1)
            raise CloseSpider("redis_lost") from None
