"""The web archive: every page the crawl read, kept as WARC 1.1 beside the run's JSONL.

``ArchiveWriter`` is a downloader middleware next to the downloader, so it sees each
response as served: before decompression (HttpCompressionMiddleware) and before
redirects are followed. For every article page (and, with ``NEWSCRAWL_ARCHIVE_LISTINGS``,
every index page and sitemap) it writes a WARC ``request`` and ``response`` record pair,
each record its own gzip member, with warcio (README "Archive and re-extraction").

The file has the run's name (``tribun-<run>.warc.gz`` beside ``tribun-<run>.jsonl``)
and the same guarantees as the feeds: it is written as ``<name>.part`` and joins the
run's commit (newscrawl/state.py), so a ``kill -9`` never leaves a final archive cut
short, and the next run settles a dead run's archive with its feed.

Record building, hashing and compression run in a child process (newscrawl/warcfile.py):
the crawl's thread only hands each response over, and never shares its GIL with them.
"""
from __future__ import annotations

import multiprocessing
import os
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from scrapy import Request, signals
from scrapy.crawler import Crawler
from scrapy.exceptions import NotConfigured
from scrapy.http import Response

from newscrawl.feeds import PART_SUFFIX, RUN_FEED, feed_path, run_id, stop_for_output_error
from newscrawl.state import ArticleState
from newscrawl.warcfile import Exchange, write_archive

ARCHIVE_SUFFIX = ".warc.gz"
# request.meta key the spider sets: what a request fetches.
PAGE_KIND = "page_kind"
ARTICLE_KINDS = frozenset({"article", "page"})
LISTING_KINDS = frozenset({"listing", "sitemap"})
# The body is stored de-chunked (Scrapy's HTTP client removes the chunking): a reader
# told "chunked" would try to de-chunk it again.
NOT_STORED = frozenset({b"transfer-encoding"})
# Responses waiting for the writer process at most (about 150 KB each): beyond this the
# crawl waits for the disk instead of holding pages in memory.
QUEUE_SIZE = 200


def archive_path(crawler: Crawler, spider: Any) -> Path:
    """``<feed stem>.warc.gz`` beside the run's first local feed; its name always holds the
    run id (an ``-O out.jsonl`` run writes ``out-<run>.warc.gz``: runs never overwrite
    each other's archive)."""
    run = run_id(crawler)
    feed = feed_path(crawler, spider) or Path(RUN_FEED % {"name": spider.name, "run": run})
    stem = feed.name.rsplit(".", 1)[0] if "." in feed.name else feed.name
    if run not in stem:
        stem = f"{stem}-{run}"
    return feed.with_name(stem + ARCHIVE_SUFFIX)


class ArchiveWriter:
    """Downloader middleware: each archived response goes to the run's WARC file."""

    def __init__(self, crawler: Crawler, kinds: frozenset[str], level: int) -> None:
        self.crawler = crawler
        self.kinds = kinds
        self.level = level
        self.final: Path | None = None
        self._writer: _WriterProcess | None = None
        self._failed = False

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> "ArchiveWriter":
        settings = crawler.settings
        if not settings.getbool("NEWSCRAWL_ARCHIVE"):
            raise NotConfigured
        kinds = ARTICLE_KINDS | (LISTING_KINDS if settings.getbool("NEWSCRAWL_ARCHIVE_LISTINGS") else frozenset())
        writer = cls(crawler, kinds, settings.getint("NEWSCRAWL_ARCHIVE_GZIP_LEVEL"))
        crawler.signals.connect(writer.spider_closed, signal=signals.spider_closed)
        return writer

    def process_response(self, request: Request, response: Response) -> Response:
        if request.meta.get(PAGE_KIND) in self.kinds and not self._failed:
            self._archive(request, response)
        return response

    def _archive(self, request: Request, response: Response) -> None:
        if self._writer is None:
            self._open()
        if self._writer.failed() is not None:
            self._write_failed(self._writer.error)
            return
        self._writer.put(_exchange(request, response))
        self.crawler.stats.inc_value("newscrawl/archive/responses")

    def _open(self) -> None:
        self.final = archive_path(self.crawler, self.crawler.spider)
        self.final.parent.mkdir(parents=True, exist_ok=True)
        state = ArticleState.of(self.crawler)
        if state is not None:
            state.file_opened(self.final, self.finish)
        part = self.final.with_name(self.final.name + PART_SUFFIX)
        info = {"software": f"newscrawl ({self.crawler.settings.get('USER_AGENT')}); warcio",
                "format": "WARC File Format 1.1",
                "conformsTo": "https://iipc.github.io/warc-specifications/specifications/warc-format/warc-1.1/",
                "isPartOf": run_id(self.crawler),
                "robots": "obey" if self.crawler.settings.getbool("ROBOTSTXT_OBEY") else "ignore"}
        self._writer = _WriterProcess(part, self.level, self.final.name, info)

    def _write_failed(self, error: str) -> None:
        """Disk full or the like: stop the crawl as a failed feed would (nothing recorded)."""
        if self._failed:
            return
        self._failed = True
        stop_for_output_error(self.crawler, self.final, error)

    def finish(self) -> None:
        """Complete and sync the archive (ArticleState calls this before the run's commit).

        Without a journal (incremental runs off) the archive takes its final name here;
        with one, the commit renames it together with the feeds. Raises OSError when the
        archive could not be written completely.
        """
        writer, self._writer = self._writer, None
        if writer is None:
            return
        writer.close()
        if writer.error is not None:
            raise OSError(f"{writer.path} is incomplete: {writer.error}")
        self.crawler.stats.set_value("newscrawl/archive/bytes", writer.path.stat().st_size)
        state = ArticleState.of(self.crawler)
        if state is None or not state.commits_feeds:
            os.replace(writer.path, self.final)

    def spider_closed(self, spider: Any = None, reason: str | None = None) -> None:
        """Without ArticleState (never in this project's settings) close the file anyway."""
        if ArticleState.of(self.crawler) is None:
            self.finish()


def _exchange(request: Request, response: Response) -> Exchange:
    """What the writer needs of one exchange, taken on the crawl's thread."""
    return Exchange(response.url, datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ"),
                    str(response.ip_address) if response.ip_address is not None else None,
                    response.protocol or "HTTP/1.1", response.status, _pairs(response.headers),
                    response.body, _pairs(request.headers))


def _pairs(headers: Any) -> list[tuple[str, str]]:
    """Header (name, value) pairs as text, repeated names kept, the de-chunked body's
    Transfer-Encoding left out."""
    return [(name.decode("latin-1"), value.decode("latin-1"))
            for name, values in headers.items() if name.lower() not in NOT_STORED
            for value in values]


class _WriterProcess:
    """The child process that writes the archive (newscrawl/warcfile.py), fed by a queue."""

    def __init__(self, path: Path, level: int, filename: str, info: dict[str, str]) -> None:
        context = multiprocessing.get_context("spawn")  # never fork a process running a reactor
        self.path = path
        self.error: str | None = None
        self._queue = context.Queue(QUEUE_SIZE)
        self._result, child_end = context.Pipe(duplex=False)
        self._process = context.Process(target=write_archive, name="newscrawl-archive", daemon=True,
                                        args=(str(path), level, filename, info, self._queue, child_end))
        self._process.start()
        child_end.close()

    def put(self, exchange: Exchange) -> None:
        self._queue.put(exchange)

    def failed(self) -> str | None:
        """The writer's error, if it reported one (a cheap poll)."""
        if self.error is None and self._result.poll():
            message = self._message()
            self.error = "the archive writer exited" if message is False else message
        return self.error

    def close(self) -> None:
        """Write what is queued; the file is then complete and synced, or ``error`` says why not."""
        self._queue.put(None)
        self._queue.close()
        self._queue.join_thread()
        self._process.join()
        while self._result.poll() and (message := self._message()) is not False:
            self.error = self.error or message
        self._result.close()
        if self._process.exitcode != 0:
            self.error = self.error or f"the archive writer exited with status {self._process.exitcode}"

    def _message(self) -> str | None | bool:
        """The writer's next message (an error's text, or None: done), False once it has
        exited and said all it had to say."""
        try:
            return self._result.recv()
        except EOFError:
            return False
