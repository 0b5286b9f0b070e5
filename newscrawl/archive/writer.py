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

A long run's archive rolls over at ``NEWSCRAWL_ARCHIVE_MAX_SIZE`` bytes, as Heritrix's and
Browsertrix's do: the full file is completed, synced and given its final name at once
(``tribun-<run>-00000.warc.gz``, then ``-00001``, ...; a run that never rolls keeps the plain
name), and the next one is written. A kill then loses at most the current file, and every
capture of an article the run's commit records is in a final file.

Record building, hashing and compression run in a child process (newscrawl/archive/warcfile.py,
driven through newscrawl/archive/writer_process.py): the crawl's thread only hands each response
over, and never shares its GIL with them.
"""
from __future__ import annotations

import logging
import os
import time
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from scrapy import Request, signals
from scrapy.crawler import Crawler
from scrapy.exceptions import NotConfigured
from scrapy.http import Response

from newscrawl.archive.wacz import package
from newscrawl.archive.warcfile import Exchange
from newscrawl.archive.writer_process import WriterProcess
from newscrawl.config import RUN_FEED
from newscrawl.crawl.meta import CAPTURED, PAGE_KIND
from newscrawl.dedup.state import ArticleState
from newscrawl.dedup.store import Capture
from newscrawl.network.urls import canonical_url
from newscrawl.output.feeds import feed_path, run_id
from newscrawl.output.journal import disk_note, part_of, stop_for_output_error, sync_folder
from newscrawl.output.ledger import RunLedger

logger = logging.getLogger(__name__)

ARCHIVE_SUFFIX = ".warc.gz"
WACZ_SUFFIX = ".wacz"
ARTICLE_KINDS = frozenset({"article", "page"})
LISTING_KINDS = frozenset({"listing", "sitemap"})
# The body is stored de-chunked (Scrapy's HTTP client removes the chunking): a reader
# told "chunked" would try to de-chunk it again.
NOT_STORED = frozenset({b"transfer-encoding"})


def archive_path(crawler: Crawler, spider: Any, suffix: str = ARCHIVE_SUFFIX) -> Path:
    """``<feed stem>.warc.gz`` (or ``.wacz``) beside the run's first local feed; its name
    always holds the run id (an ``-O out.jsonl`` run writes ``out-<run>.warc.gz``: runs
    never overwrite each other's archive)."""
    run = run_id(crawler)
    feed = feed_path(crawler, spider) or Path(RUN_FEED % {"name": spider.name, "run": run})
    stem = feed.name.rsplit(".", 1)[0] if "." in feed.name else feed.name
    if run not in stem:
        stem = f"{stem}-{run}"
    return feed.with_name(stem + suffix)


class ArchiveWriter:
    """Downloader middleware: each archived response goes to the run's WARC file."""

    def __init__(self, crawler: Crawler, kinds: frozenset[str], level: int, timeout: float = 60,
                 wacz: bool = False, max_size: int = 0, revisits: bool = True) -> None:
        self.crawler = crawler
        self.kinds = kinds
        self.level = level
        self.timeout = timeout
        self.wacz = wacz  # package the WARC as a WACZ when it is complete (newscrawl/archive/wacz.py)
        # A WACZ's pages.jsonl: page-1 URL -> its first capture (url, ts), titled once exported.
        self.pages: dict[str, dict] = {}
        self.final: Path | None = None
        self.revisits = revisits  # unchanged pages as revisit records (NEWSCRAWL_ARCHIVE_REVISITS)
        self.max_size = max_size  # roll over to a new file beyond this many bytes (0: never)
        self.serial = 0  # the current file's number among the run's files
        self.finished: list[Path] = []  # files rolled over: final already
        # url -> (url, payload digest, date): the full captures of the run's completed files.
        self.captures: dict[str, tuple[str, str, str]] = {}
        self._writer: WriterProcess | None = None
        self._failed = False
        self._roll_error: str | None = None  # a full file that could not be completed

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> "ArchiveWriter":
        settings = crawler.settings
        if not settings.getbool("NEWSCRAWL_ARCHIVE"):
            raise NotConfigured
        kinds = ARTICLE_KINDS | (LISTING_KINDS if settings.getbool("NEWSCRAWL_ARCHIVE_LISTINGS") else frozenset())
        writer = cls(crawler, kinds, settings.getint("NEWSCRAWL_ARCHIVE_GZIP_LEVEL"),
                     settings.getfloat("NEWSCRAWL_ARCHIVE_TIMEOUT"), settings.get("NEWSCRAWL_ARCHIVE_FORMAT") == "wacz",
                     settings.getint("NEWSCRAWL_ARCHIVE_MAX_SIZE"), settings.getbool("NEWSCRAWL_ARCHIVE_REVISITS"))
        crawler.signals.connect(writer.spider_closed, signal=signals.spider_closed)
        if writer.wacz:
            crawler.signals.connect(writer.item_scraped, signal=signals.item_scraped)
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
        exchange = _exchange(request, response)
        if self.revisits:
            exchange = exchange._replace(earlier=self._earlier(response.url))
        self._writer.put(exchange)
        # The record's WARC-Date is the page's capture time (captured_at): a replay of this
        # archive then says the same time as the crawl that wrote it.
        if "archive" not in response.flags:  # not one a replay answered with (its own date stays)
            request.meta[CAPTURED] = exchange.date
        self.crawler.stats.inc_value("newscrawl/archive/responses")
        if self.wacz and request.meta.get(PAGE_KIND) in ARTICLE_KINDS:
            self.pages.setdefault(canonical_url(response.url),
                                  {"url": response.url, "ts": exchange.date, "file": self.serial})
        if self.max_size and self._writer.written() >= self.max_size:
            self._roll()

    def _earlier(self, url: str) -> tuple[str, str, str] | None:
        """The last full capture of ``url`` this run or a committed earlier run archived."""
        found = self._writer.captures.get(url) or self.captures.get(url)
        if found is None and self.store is not None:
            try:
                found = self.store.last_capture(url)
            except Exception as error:  # Redis gone, a vanished store: a full record, said once
                if not self.crawler.stats.get_value("newscrawl/archive/store_unreadable"):
                    logger.warning("Cannot ask the state store for earlier captures (%s): unchanged pages "
                                   "are archived whole", error)
                self.crawler.stats.inc_value("newscrawl/archive/store_unreadable")
        return tuple(found) if found else None

    @property
    def store(self) -> Any:
        state = ArticleState.of(self.crawler)
        return state.store if state is not None else None

    def committed(self, store: Any) -> None:
        """The run's files are final: later runs may refer to its full captures."""
        store.record_captures(Capture(*capture) for capture in self.captures.values())

    def item_scraped(self, item: Any, response: Any = None, spider: Any = None) -> None:
        """An exported article: an entry of the WACZ's page list, with its title."""
        page = self.pages.get(getattr(item, "url", None) or "")
        if page is not None:  # titled: exported
            page["title"] = getattr(item, "title", None) or page["url"]

    def _open(self) -> None:
        self.final = archive_path(self.crawler, self.crawler.spider, self._suffix())
        self.final.parent.mkdir(parents=True, exist_ok=True)
        ledger = RunLedger.of(self.crawler)
        if ledger is not None:
            ledger.file_opened(self.final, self.finish, self.committed)
        self._start()

    def _suffix(self) -> str:
        return WACZ_SUFFIX if self.wacz else ARCHIVE_SUFFIX

    def _numbered(self, serial: int) -> Path:
        """The name of the run's file number ``serial`` once it rolls over."""
        return archive_path(self.crawler, self.crawler.spider, f"-{serial:05d}{self._suffix()}")

    def _start(self) -> None:
        """The writer process of the current file (``self.final``'s ``.part``)."""
        run = run_id(self.crawler)
        part = part_of(self.final, run)
        info = {"software": f"newscrawl ({self.crawler.settings.get('USER_AGENT')}); warcio",
                "format": "WARC File Format 1.1",
                "conformsTo": "https://iipc.github.io/warc-specifications/specifications/warc-format/warc-1.1/",
                "isPartOf": run,
                # Only newscrawl writes this field: a replay takes what follows as its own
                # crawl's (newscrawl/archive/index.py), whatever the hosts.
                "newscrawl-run": run,
                "robots": "obey" if self.crawler.settings.getbool("ROBOTSTXT_OBEY") else "ignore"}
        # A WACZ's .part holds the WARC until the run ends, then the WACZ that holds it.
        self._writer = WriterProcess(part, self.level, self._warc_name(), info, self.timeout)

    def _warc_name(self) -> str:
        return self.final.name[: -len(WACZ_SUFFIX)] + ARCHIVE_SUFFIX if self.wacz else self.final.name

    def _roll(self) -> None:
        """The current file is full: complete it, give it its final name now, go on in the next.

        The crawl's thread waits for the file to be completed (what is queued written, then
        synced) and the next writer to start (the log says how long); a failure stops the
        crawl as a failed write does.
        """
        started = time.monotonic()
        current, self.final = self.final, self._numbered(self.serial)  # a WACZ's member is named after it
        serial_name = self.final
        try:
            os.replace(self._close(), serial_name)
            sync_folder(serial_name.parent)
        except OSError as error:
            self._roll_error = str(error)
            self._write_failed(self._roll_error)
            return
        self.finished.append(serial_name)
        self.crawler.stats.set_value("newscrawl/archive/rolled_over", [str(f) for f in self.finished])
        self.serial += 1
        following = self._numbered(self.serial)
        ledger = RunLedger.of(self.crawler)
        if ledger is not None:
            ledger.file_renamed(current, following)
        self.final = following
        self._start()
        logger.info("The web archive reached %d bytes: %s is complete, the run goes on in the next file "
                    "(the crawl waited %.2f s)", self.max_size, serial_name, time.monotonic() - started)

    def _close(self) -> Path | None:
        """Complete and sync the current file (packaged, for a WACZ); its ``.part``, or None
        when none was begun. Raises OSError when the file could not be written completely."""
        writer, self._writer = self._writer, None
        if writer is None:
            return None
        writer.close()
        if writer.error is not None:
            raise OSError(f"{writer.path} is incomplete: {writer.error}")
        if self.wacz:
            self._package(writer.path)
        self.crawler.stats.inc_value("newscrawl/archive/bytes", writer.path.stat().st_size)
        self.captures.update(writer.captures)
        if writer.revisits:
            self.crawler.stats.inc_value("newscrawl/archive/revisits", writer.revisits)
        return writer.path

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
        if self._roll_error is not None:
            raise OSError(f"{self.final} is incomplete: {self._roll_error}")
        part = self._close()
        if part is None:
            return
        ledger = RunLedger.of(self.crawler)
        if ledger is None or not ledger.commits_feeds:
            os.replace(part, self.final)

    def _package(self, part: Path) -> None:
        """The complete WARC in ``part`` becomes the WACZ that holds it, in the same place:
        built beside, then put in its place (OSError, as a failed WARC, when it cannot)."""
        building = part.with_name(part.name + ".wacz")  # a dead run's is cleared with its .part (journal.recover)
        # The articles exported by now whose first page this file holds.
        pages = [{"url": p["url"], "title": p["title"], "ts": p["ts"]} for p in self.pages.values()
                 if "title" in p and p["file"] == self.serial]
        try:
            package(part, building, self._warc_name(), pages, run_id(self.crawler),
                    f"newscrawl ({self.crawler.settings.get('USER_AGENT')})")
            os.replace(building, part)
        except OSError as error:
            building.unlink(missing_ok=True)
            raise OSError(f"Cannot package the web archive {self.final} (WACZ, in {building.name}): "
                          f"{error.strerror or error}{disk_note(building, error)}") from None
        self.crawler.stats.inc_value("newscrawl/archive/pages", len(pages))

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
