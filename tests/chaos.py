"""Test-only extensions that break things from inside a real crawl (never in the project's settings).

Enabled by a test with ``-s EXTENSIONS=...`` (see ``chaos_settings``).
"""
from __future__ import annotations

import json

from scrapy import signals

import newscrawl.settings as project


def chaos_settings(*names: str) -> list[str]:
    """``-s EXTENSIONS=...``: the project's extensions plus the named ones of this module."""
    extensions = {**project.EXTENSIONS, **{f"tests.chaos.{name}": 900 for name in names}}
    return ["-s", f"EXTENSIONS={json.dumps(extensions)}"]


class BreakStore:
    """Closes the state store's database before the run records its exports."""

    @classmethod
    def from_crawler(cls, crawler):
        extension = cls()
        extension.crawler = crawler
        crawler.signals.connect(extension.spider_closed, signal=signals.spider_closed)
        return extension

    def spider_closed(self, spider, reason):
        from newscrawl.dedup.state import ArticleState

        ArticleState.of(self.crawler).store.db.close()


class FailingCallback:
    """Page 1 of sitegen's article 1 (``…/artikel-nomor-1``) raises in the spider's callback."""

    @classmethod
    def from_crawler(cls, crawler):
        extension = cls()
        crawler.signals.connect(extension.spider_opened, signal=signals.spider_opened)
        return extension

    def spider_opened(self, spider):
        original = spider.parse_article

        def parse_article(response, **kwargs):
            if response.url.endswith("/artikel-nomor-1"):
                raise KeyError("planted by tests.chaos")
            return original(response, **kwargs)

        spider.parse_article = parse_article


class NoDNS:
    """A DNS resolver that fails every lookup at once, as on a machine with no network
    (``-s TWISTED_DNS_RESOLVER=tests.chaos.NoDNS``); no query leaves the machine."""

    @classmethod
    def from_crawler(cls, crawler, reactor):
        from twisted.internet.interfaces import IResolverSimple
        from zope.interface import directlyProvides

        resolver = cls()
        directlyProvides(resolver, IResolverSimple)
        return resolver

    def install_on_reactor(self):
        from twisted.internet import reactor

        reactor.installResolver(self)

    def getHostByName(self, name, timeout=()):
        from twisted.internet import defer
        from twisted.internet.error import DNSLookupError

        return defer.fail(DNSLookupError(f"no address associated with hostname {name}"))


class FailingPageTwo:
    """Extraction raises on every page 2 (a bug in extraction, simulated in the crawl process)."""

    @classmethod
    def from_crawler(cls, crawler):
        import newscrawl.spiders.tribun as spider_module

        original = spider_module.extract_article

        def extract_article(html, url, *args):
            if url.endswith("?page=2"):
                raise ValueError("planted by tests.chaos")
            return original(html, url, *args)

        spider_module.extract_article = extract_article
        return cls()


class FailingItem:
    """The normalize pipeline raises on sitegen's article 1 (a bug in a pipeline, simulated)."""

    @classmethod
    def from_crawler(cls, crawler):
        from newscrawl.pipelines import NormalizePipeline

        original = NormalizePipeline.process_item

        def process_item(self, item):
            if item.url and item.url.endswith("/artikel-nomor-1"):
                raise RuntimeError("planted by tests.chaos")
            return original(self, item)

        NormalizePipeline.process_item = process_item
        return cls()


class LocalDNS(NoDNS):
    """A DNS resolver that answers 127.0.0.1 for every name (``-s TWISTED_DNS_RESOLVER=
    tests.chaos.LocalDNS``): a host name of any form reaches the test's local server."""

    def getHostByName(self, name, timeout=()):
        from twisted.internet import defer

        return defer.succeed("127.0.0.1")


class OldImageRule:
    """Extraction with the lead-image rule of before issue 10: the first ``<img>`` of the
    photo box, which on the 2020 template is the ``zoom-in.svg`` lightbox icon (a
    deliberately wrong extractor version, for the re-extraction test)."""

    @classmethod
    def from_crawler(cls, crawler):
        import newscrawl.pages.article as article

        def first_image(page):
            box = page.by_id("artimg")
            img = next(box.iter("img"), None) if box is not None else None
            return article.absolute_url(page.url, img.get("src")) if img is not None else page.meta.get("og:image")

        article._image = first_image
        return cls()


class KillWhenAFinalFeedAppears:
    """SIGKILLs the crawl as soon as a feed file of the run stands under its final name
    before the run's commit: the moment a run that renames outside its commit dies in."""

    @classmethod
    def from_crawler(cls, crawler):
        extension = cls()
        crawler.signals.connect(extension.feed_slot_closed, signal=signals.feed_slot_closed)
        return extension

    def feed_slot_closed(self, slot):
        import os
        import signal
        from pathlib import Path

        from w3lib.url import file_uri_to_path

        if Path(file_uri_to_path(slot.uri) if slot.uri.startswith("file:") else slot.uri).exists():
            os.kill(os.getpid(), signal.SIGKILL)


class _AtSpiderOpened:
    """A chaos extension that acts as the spider opens (``spider_opened``)."""

    @classmethod
    def from_crawler(cls, crawler):
        extension = cls()
        extension.crawler = crawler
        crawler.signals.connect(extension.spider_opened, signal=signals.spider_opened)
        return extension


class SlowRecord(_AtSpiderOpened):
    """The state store takes 4 s to record the run's exports, and says when it starts by
    writing the file named by the ``CHAOS_MARKER`` setting: a worker still recording."""

    def spider_opened(self, spider):
        import time
        from pathlib import Path

        from newscrawl.dedup.state import ArticleState

        store = ArticleState.of(self.crawler).store
        record, marker = store.record, Path(self.crawler.settings.get("CHAOS_MARKER"))

        def slow(articles):
            marker.write_text("recording")
            time.sleep(4)
            return record(articles)

        store.record = slow


def _die(*args, **kwargs):
    """SIGKILL to this process: no handler, no cleanup, as a killed worker."""
    import os
    import signal as signals_

    os.kill(os.getpid(), signals_.SIGKILL)


class KillReplayWorker:
    """Replay worker 1 (-a workers) dies by SIGKILL at its first archived response (its
    share indexed, none of it replayed): its share of the articles is lost, and worker 0
    must say so."""

    @classmethod
    def from_crawler(cls, crawler):
        if crawler.settings.getint("NEWSCRAWL_WORKER_INDEX") == 1:
            crawler.signals.connect(_die, signal=signals.response_received, weak=False)
        return cls()


class KillAtFirstItem:
    """The process dies by SIGKILL as its first article is scraped (a worker lost mid-run)."""

    @classmethod
    def from_crawler(cls, crawler):
        crawler.signals.connect(_die, signal=signals.item_scraped, weak=False)
        return cls()


class DamageArchivesOnce:
    """At the first archived response (the index read, the replay begun), every archive
    file of the run gets every 64th byte of its second half flipped, in place: a copy
    changed or damaged after it was indexed."""

    @classmethod
    def from_crawler(cls, crawler):
        extension = cls()
        extension.done = False
        crawler.signals.connect(extension.response_received, signal=signals.response_received)
        return extension

    def response_received(self, response, request, spider):
        if self.done:
            return
        self.done = True
        for path in spider.options.archives:
            data = bytearray(path.read_bytes())
            for at in range(len(data) // 2, len(data), 64):
                data[at] ^= 0xFF
            path.write_bytes(bytes(data))


class FailingWacz:
    """Packaging the run's WACZ fails as on a full disk."""

    @classmethod
    def from_crawler(cls, crawler):
        import errno

        import newscrawl.archive.writer as writer

        def package(*args, **kwargs):
            raise OSError(errno.ENOSPC, "No space left on device")

        writer.package = package
        return cls()


class SlowExport:
    """Each exported article takes 50 ms more: a replay (which answers at once) lasts long
    enough to be signalled mid-way."""

    @classmethod
    def from_crawler(cls, crawler):
        extension = cls()
        crawler.signals.connect(extension.item_scraped, signal=signals.item_scraped)
        return extension

    def item_scraped(self, item, response, spider):
        import time

        time.sleep(0.05)


def chaos_middlewares(*names: str) -> list[str]:
    """``-s DOWNLOADER_MIDDLEWARES=...``: the project's plus the named ones of this module."""
    middlewares = {**project.DOWNLOADER_MIDDLEWARES, **{f"tests.chaos.{name}": 945 for name in names}}
    return ["-s", f"DOWNLOADER_MIDDLEWARES={json.dumps(middlewares)}"]


class HangOne:
    """The request whose URL ends with ``CHAOS_HANG`` (default: sitegen's article 3,
    ``…/artikel-nomor-3``) never completes, live or replayed: a graceful stop waits for it,
    as for a download that hangs. ``CHAOS_HANG_MARK``: a file touched when it starts hanging."""

    def __init__(self, suffix: str, mark: str | None) -> None:
        self.suffix, self.mark = suffix, mark

    @classmethod
    def from_crawler(cls, crawler):
        return cls(crawler.settings.get("CHAOS_HANG", "/artikel-nomor-3"), crawler.settings.get("CHAOS_HANG_MARK"))

    async def process_request(self, request):
        import asyncio
        from pathlib import Path

        if request.url.endswith(self.suffix):
            if self.mark:
                Path(self.mark).touch()
            await asyncio.sleep(3600)
