"""Output files: written under a temporary name and renamed with the run's commit (the CSV
exporter: newscrawl/output/csvfeed.py).

A consumer (or the next cron job) globbing ``output/tribun/*.jsonl`` never sees a
half-written file: until the crawl closes the feed it is ``<name>.part``.
"""
from __future__ import annotations

import io
import logging
import os
from datetime import datetime, timezone
from pathlib import Path
from typing import IO, Any
from urllib.parse import urlsplit

from scrapy.crawler import Crawler
from scrapy.extensions.feedexport import FileFeedStorage
from w3lib.url import file_uri_to_path

from newscrawl.config import redis_url, worker_name
from newscrawl.internals import quiet_scrapy_log
from newscrawl.output.journal import append_part, disk_note, folders_locked, part_of, stop_for_output_error
from newscrawl.output.ledger import RunLedger

logger = logging.getLogger(__name__)


class AtomicFileFeedStorage(FileFeedStorage):
    """A local feed file that appears under its name only once complete.

    The run's ledger learns the final path first (newscrawl/output/ledger.py). With a journal,
    ``store`` only completes and syncs the ``.part`` file, in append mode (``-o``, the
    default feed) as in overwrite mode (``-O``): the ledger renames all the run's feeds
    together once its journal says so, so a run killed at any moment leaves
    all of its feeds final (its articles recorded, exactly once) or none.
    """

    def __init__(self, uri: str, *, feed_options: dict[str, Any] | None = None,
                 crawler: Crawler | None = None) -> None:
        super().__init__(uri, feed_options=feed_options)
        self.crawler = crawler
        self.feed_options = feed_options

    @classmethod
    def from_crawler(cls, crawler: Crawler, uri: str, *, feed_options: dict[str, Any] | None = None
                     ) -> "AtomicFileFeedStorage":
        return cls(uri, feed_options=feed_options, crawler=crawler)

    def open(self, spider: Any) -> IO[bytes]:
        final = Path(self.path)
        final.parent.mkdir(parents=True, exist_ok=True)
        ledger = RunLedger.of(self.crawler) if self.crawler is not None else None
        self.part = part_of(final, run_id(self.crawler) if self.crawler is not None else f"pid{os.getpid()}")
        if ledger is not None:
            ledger.feed_opened(final, append=self.write_mode == "ab", format_=(self.feed_options or {}).get("format"))
        self.file = _GuardedWriter(io.FileIO(self.part, "wb"), self._write_failed)
        return self.file

    def _write_failed(self, error: OSError) -> None:
        """Disk full, file too large, I/O error: stop the crawl, keep the file unfinished."""
        stop_for_output_error(self.crawler, self.part, error)

    def store(self, file: IO[bytes]) -> None:
        if getattr(self, "file", None) is not None and self.file.error is not None:
            try:
                self.file.close()
            except OSError:
                pass  # the same error again: the file stays .part, unfinished
            raise IncompleteFeed(f"{self.part} is incomplete: {self.file.error}")
        file.flush()
        os.fsync(file.fileno())
        file.close()
        final = Path(self.path)
        ledger = RunLedger.of(self.crawler) if self.crawler is not None else None
        if ledger is not None and ledger.commits_feeds:
            # Complete and synced: renamed (or appended) with the run's other feeds and its
            # archive after the journal's commit record, all or none, whatever the write
            # mode: a final name that appeared earlier would outlive a kill before the
            # commit, and the next run would export its articles again.
            return
        with folders_locked([final]):  # another run may commit into the same file
            if self.write_mode == "ab" and final.exists():
                append_part(self.part, final)
            else:
                os.replace(self.part, final)


class IncompleteFeed(OSError):
    """A feed file that could not be written completely (its cause was logged already)."""


class _QuietIncompleteFeed(logging.Filter):
    """Scrapy's "Error storing … feed" line without the traceback of an IncompleteFeed:
    the cause (a full disk) was said once, in one line, when it happened."""

    def filter(self, record: logging.LogRecord) -> bool:
        if record.exc_info and isinstance(record.exc_info[1], IncompleteFeed):
            record.msg = f"{record.msg} ({record.exc_info[1]})"
            record.exc_info, record.exc_text = None, None
        return True


quiet_scrapy_log("scrapy.extensions.feedexport", _QuietIncompleteFeed())


class _GuardedWriter(io.BufferedWriter):
    """A feed file that remembers (and reports once) the first error writing it, and
    then takes nothing more: raising on every later item would log a traceback per item
    (Scrapy's signal handler) while the crawl stops; the file stays unfinished."""

    def __init__(self, raw: io.FileIO, on_error) -> None:
        super().__init__(raw)
        self.error: OSError | None = None
        self.on_error = on_error

    def write(self, data) -> int:
        if self.error is not None:
            return len(data)
        try:
            return super().write(data)
        except OSError as error:
            self._failed(error)
            return len(data)

    def flush(self) -> None:
        if self.error is not None:
            return
        try:
            super().flush()
        except OSError as error:
            self._failed(error)

    def _failed(self, error: OSError) -> None:
        if self.error is None:
            self.error = error
            self.on_error(error)


def run_id(crawler: Crawler) -> str:
    """The run's id, kept in the stats as ``newscrawl/run``: its number in the state
    folder (``NEWSCRAWL_RUN_NUMBER``, given by the crawl command under the run lock), then
    its start, UTC to the microsecond, then the worker's name in distributed mode.

    Every feed, the report and the journal of one run share it. File names sort in run
    order even when the clock goes back (a clock step, NFS), and two runs started in the
    same second still get two files.
    """
    stats, settings = crawler.stats, crawler.settings
    if not stats.get_value("newscrawl/run"):
        run = datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%S.%fZ")
        if number := settings.getint("NEWSCRAWL_RUN_NUMBER"):
            run = f"{number:08d}-{run}"
        stats.set_value("newscrawl/run", f"{run}-{worker_name(settings)}" if redis_url(settings) else run)
    return stats.get_value("newscrawl/run")


def uri_params(params: dict[str, Any], spider: Any) -> dict[str, Any]:
    """Feed URI parameters plus ``run`` (see run_id)."""
    return {**params, "run": run_id(spider.crawler)}


def feed_path(crawler: Crawler, spider: Any) -> Path | None:
    """The local path of the run's first feed (whether or not it was written), or None."""
    for uri in crawler.settings.getdict("FEEDS"):
        uri = str(uri)
        scheme = urlsplit(uri).scheme
        if scheme not in ("", "file"):
            continue
        run = run_id(crawler)
        params = {"name": spider.name, "time": run, "batch_id": 1, "batch_time": run, "run": run}
        path = uri % params
        return Path(file_uri_to_path(path) if scheme == "file" else path)
    return None


def beside_feed(crawler: Crawler, spider: Any, suffix: str) -> Path | None:
    """The run's first local feed with its extension replaced by ``suffix`` (its report
    ``.report.json``, its lists ``.listed.json``), so every file of a run shares its name; None
    without a local feed."""
    first = feed_path(crawler, spider)
    return first.with_name(first.name.rsplit(".", 1)[0] + suffix) if first is not None else None


def local_feed_folders(settings: Any, spider_name: str) -> list[Path]:
    """The folders the run's local feeds are written into."""
    folders = []
    for uri in settings.getdict("FEEDS"):
        uri = str(uri)
        if urlsplit(uri).scheme not in ("", "file"):
            continue
        path = Path(file_uri_to_path(uri) if uri.startswith("file:") else uri)
        folders.append(Path(str(path.parent) % _Params(name=spider_name)))
    return list(dict.fromkeys(folders))


def check_writable(settings: Any, spider_name: str) -> None:
    """Raise OSError (naming the folder) if a local feed's folder cannot be written."""
    for folder in local_feed_folders(settings, spider_name):
        probe = folder / f".newscrawl-write-test-{os.getpid()}"
        try:
            folder.mkdir(parents=True, exist_ok=True)
            with probe.open("wb") as file:
                file.write(b"x")
                file.flush()
                os.fsync(file.fileno())
        except OSError as error:
            raise OSError(f"cannot write to {folder}: {error.strerror or error}{disk_note(folder, error)}") from None
        finally:
            try:
                probe.unlink(missing_ok=True)
            except OSError:
                pass


class _Params(dict):
    """URI parameters for a folder name: unknown ones (time, run) never name folders."""

    def __missing__(self, key: str) -> str:
        return key
