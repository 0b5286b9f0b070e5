"""The web archive: every page the crawl read, kept as WARC 1.1 beside the run's JSONL.

``ArchiveWriter`` is a downloader middleware next to the downloader, so it sees each
response as served: before decompression (HttpCompressionMiddleware) and before
redirects are followed. For every article page (and, with ``NEWSCRAWL_ARCHIVE_LISTINGS``,
every index page and sitemap) it writes a WARC ``request`` and ``response`` record pair,
each record its own gzip member, with warcio (README "Archive and re-extraction").

The file has the run's name (``tribun-<run>.warc.gz`` beside ``tribun-<run>.jsonl``)
and the same guarantees as the feeds: it is written as ``<name>.part`` and joins the
run's commit (newscrawl/output/ledger.py), so a ``kill -9`` never leaves a final archive cut
short, and the next run settles a dead run's archive with its feed.

Record building, hashing and compression run in a child process (newscrawl/archive/warcfile.py):
the crawl's thread only hands each response over, and never shares its GIL with them.
"""
from __future__ import annotations

import json
import os
import queue
import subprocess
import sys
import threading
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from scrapy import Request, signals
from scrapy.crawler import Crawler
from scrapy.exceptions import NotConfigured
from scrapy.http import Response

from newscrawl.archive.warcfile import END_FRAME, Exchange, frame
from newscrawl.config import RUN_FEED
from newscrawl.crawl.meta import PAGE_KIND
from newscrawl.output.feeds import PART_SUFFIX, feed_path, run_id
from newscrawl.output.journal import stop_for_output_error
from newscrawl.output.ledger import RunLedger

ARCHIVE_SUFFIX = ".warc.gz"
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

    def __init__(self, crawler: Crawler, kinds: frozenset[str], level: int, timeout: float = 60) -> None:
        self.crawler = crawler
        self.kinds = kinds
        self.level = level
        self.timeout = timeout
        self.final: Path | None = None
        self._writer: _WriterProcess | None = None
        self._failed = False

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> "ArchiveWriter":
        settings = crawler.settings
        if not settings.getbool("NEWSCRAWL_ARCHIVE"):
            raise NotConfigured
        kinds = ARTICLE_KINDS | (LISTING_KINDS if settings.getbool("NEWSCRAWL_ARCHIVE_LISTINGS") else frozenset())
        writer = cls(crawler, kinds, settings.getint("NEWSCRAWL_ARCHIVE_GZIP_LEVEL"),
                     settings.getfloat("NEWSCRAWL_ARCHIVE_TIMEOUT"))
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
        ledger = RunLedger.of(self.crawler)
        if ledger is not None:
            ledger.file_opened(self.final, self.finish)
        part = self.final.with_name(self.final.name + PART_SUFFIX)
        run = run_id(self.crawler)
        info = {"software": f"newscrawl ({self.crawler.settings.get('USER_AGENT')}); warcio",
                "format": "WARC File Format 1.1",
                "conformsTo": "https://iipc.github.io/warc-specifications/specifications/warc-format/warc-1.1/",
                "isPartOf": run,
                # Only newscrawl writes this field: a replay takes what follows as its own
                # crawl's (newscrawl/archive/index.py), whatever the hosts.
                "newscrawl-run": run,
                "robots": "obey" if self.crawler.settings.getbool("ROBOTSTXT_OBEY") else "ignore"}
        self._writer = _WriterProcess(part, self.level, self.final.name, info, self.timeout)

    def _write_failed(self, error: str) -> None:
        """Disk full or the like: stop the crawl as a failed feed would (nothing recorded)."""
        if self._failed:
            return
        self._failed = True
        stop_for_output_error(self.crawler, self.final, error)

    def finish(self) -> None:
        """Complete and sync the archive (the run's ledger calls this before its commit).

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
        ledger = RunLedger.of(self.crawler)
        if ledger is None or not ledger.commits_feeds:
            os.replace(writer.path, self.final)

    def spider_closed(self, spider: Any = None, reason: str | None = None) -> None:
        """Without the run's ledger (never in this project's settings) close the file anyway."""
        if RunLedger.of(self.crawler) is None:
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
    """The child process that writes the archive (``python -m newscrawl.archive.warcfile``).

    A thread of ours feeds it through its standard input from a bounded queue; another
    reads what it reports on its standard output. Plain pipes, one process at each end:
    a writer that dies makes our writes fail (EPIPE) instead of blocking, a crawl that
    dies gives the writer EOF, and a writer that stops taking pages (SIGSTOP, a hung
    disk) is given ``timeout`` seconds, then killed and reported.
    """

    def __init__(self, path: Path, level: int, filename: str, info: dict[str, str], timeout: float) -> None:
        self.path = path
        self.timeout = timeout
        self.error: str | None = None
        self._done = False
        self._queue: queue.Queue = queue.Queue(QUEUE_SIZE)
        # The crawl's own import path, so that an installed egg (Scrapyd) runs the same code.
        env = {**os.environ, "PYTHONPATH": os.pathsep.join(p for p in sys.path if p)}
        # Its own session: a Ctrl-C or SIGTERM to the crawl's process group must not cut
        # the archive short; the crawl ends it.
        self._process = subprocess.Popen([sys.executable, "-m", "newscrawl.archive.warcfile"], stdin=subprocess.PIPE,
                                         stdout=subprocess.PIPE, env=env, start_new_session=True)
        settings = {"path": str(path), "level": level, "filename": filename, "info": info}
        self._feeder = threading.Thread(target=self._feed, args=(json.dumps(settings).encode() + b"\n",),
                                        name="newscrawl-archive-feeder", daemon=True)
        self._reader = threading.Thread(target=self._read, name="newscrawl-archive-reader", daemon=True)
        self._feeder.start()
        self._reader.start()

    def _fail(self, message: str) -> None:
        if self.error is None:
            self.error = message

    def _feed(self, header: bytes) -> None:
        stdin = self._process.stdin
        writing = True
        try:
            stdin.write(header)
            stdin.flush()
        except OSError:
            writing = False
        while True:
            exchange = self._queue.get()
            if not writing:
                if exchange is None:
                    break
                continue  # the writer is gone: drain, so that the crawl never waits on us
            try:
                stdin.write(END_FRAME if exchange is None else frame(exchange))
                stdin.flush()
            except OSError:
                writing = False
                self._fail("the archive writer exited")
            if exchange is None:
                break
        try:
            stdin.close()
        except OSError:
            pass

    def _read(self) -> None:
        for line in self._process.stdout:
            try:
                message = json.loads(line)
            except ValueError:
                continue
            if message.get("error"):
                self._fail(str(message["error"]))
            if "done" in message:
                self._done = bool(message["done"])

    def put(self, exchange: Exchange) -> None:
        try:
            self._queue.put(exchange, timeout=self.timeout)
        except queue.Full:
            self._stuck()

    def _stuck(self) -> None:
        self._fail(f"the archive writer took nothing for {self.timeout:g} s (stopped? a hung disk?): killed")
        self._process.kill()

    def failed(self) -> str | None:
        """The writer's error, if any (a cheap poll)."""
        if self.error is None and self._process.poll() is not None:
            self._fail(f"the archive writer exited (status {self._process.returncode})")
        return self.error

    def close(self) -> None:
        """Write what is queued; the file is then complete and synced, or ``error`` says why not."""
        try:
            self._queue.put(None, timeout=self.timeout)
        except queue.Full:
            self._stuck()
            self._queue.put(None)  # the feeder drains once the killed writer's pipe breaks
        self._feeder.join(self.timeout)
        try:
            self._process.wait(self.timeout)
        except subprocess.TimeoutExpired:
            self._stuck()
            self._process.wait()
        self._reader.join(self.timeout)
        if self._process.returncode != 0:
            self._fail(f"the archive writer exited with status {self._process.returncode}")
        elif not self._done:
            self._fail("the archive writer did not say it completed the file")
        self._process.stdout.close()
