"""`scrapy crawl`, made safe for cron.

- Bad ``-a`` arguments and ``NEWSCRAWL_*`` settings: one line naming them, exit 2,
  before the crawler (and its log banner) is created; Scrapy's own command would log a
  traceback and may create the feed file first.
- One run at a time per state directory (newscrawl/run/runlock.py): a second run exits 75.
- The exit status tells cron how the run went (newscrawl/run/report.py judges it).
"""
from __future__ import annotations

import argparse
import gc
import logging
import os
import sqlite3
import stat
import sys
from datetime import datetime
from pathlib import Path
from typing import Any

from scrapy import signals
from scrapy.commands.crawl import Command as ScrapyCrawlCommand
from scrapy.exceptions import UsageError
from scrapy.settings import SETTINGS_PRIORITIES
from scrapy.spiderloader import get_spider_loader
from scrapy.utils.conf import feed_process_params_from_cli
from w3lib.url import file_uri_to_path

from newscrawl.archive.replay import replay_settings
from newscrawl.archive.workers import fork_workers, stop_worker, worker_settings
from newscrawl.config import (
    RUN_FEED,
    SettingError,
    anchor_to_project,
    check_settings,
    explicit_output_state,
    project_root,
    redis_url,
    worker_name,
)
from newscrawl.crawl.arguments import ArgumentError
from newscrawl.dedup.redis_store import check_reachable
from newscrawl.dedup.store import STORE_NAME, CorruptStore, create_store, holds_articles
from newscrawl.output.feeds import check_writable, local_feed_folders
from newscrawl.output.journal import disk_note
from newscrawl.run.jobdir import start_afresh
from newscrawl.output.ledger import RunLedger
from newscrawl.run.report import EXIT_STATUS, INTERRUPTED, RunReport
from newscrawl.run.runlock import LOCK_NAME, LockHeld, OutputClaim, RunLock

USAGE_EXIT = 2
LOCKED_EXIT = 75  # EX_TEMPFAIL: try again later
UNAVAILABLE_EXIT = 69  # EX_UNAVAILABLE: the Redis of distributed mode does not answer
CANT_WRITE_EXIT = 73  # EX_CANTCREAT: the output or state folder cannot be written
logger = logging.getLogger(__name__)


def abandoned(crawler: Any) -> str:
    """The verdict of a run whose engine never closed: the reactor was stopped under it (a
    second Ctrl-C or SIGTERM). Never ok: reported as interrupted, its files left for the
    next run (or removed, where none would settle them)."""
    ledger, report = RunLedger.of(crawler), RunReport.of(crawler)
    left = ledger.abandoned() if ledger is not None else "its files are unfinished"
    return report.abandoned(left) if report is not None else INTERRUPTED


def lock_name(settings) -> str:
    """One lock per state dir; in distributed mode one per worker (several are the point)."""
    return f"run-{worker_name(settings)}.lock" if redis_url(settings) else LOCK_NAME


def not_a_regular_file(feeds: dict) -> str | None:
    """Why an explicit output path cannot be used, or None.

    Only a regular file (or nothing yet) is written: the crawl writes ``NAME.part`` and
    renames it over ``NAME``, which would replace a symlink, a FIFO or a device by a file.
    """
    for uri in feeds:
        path = Path(file_uri_to_path(str(uri)) if str(uri).startswith("file:") else str(uri))
        try:
            mode = os.lstat(path).st_mode
        except FileNotFoundError:
            continue
        except OSError as error:
            return f"cannot use {path}: {error.strerror}"
        if not stat.S_ISREG(mode):
            kind = ("a symlink" if stat.S_ISLNK(mode) else "a FIFO" if stat.S_ISFIFO(mode)
                    else "a directory" if stat.S_ISDIR(mode) else "a device or socket")
            return f"{path} is {kind}, not a regular file: give a file name"
    return None


def appended_parquet(feeds: dict) -> str | None:
    """Why a feed cannot be written: ``-o`` appends, and a Parquet file cannot grow.

    >>> appended_parquet({"a.parquet": {"format": "parquet", "overwrite": False}})
    '-o a.parquet: a Parquet file cannot be appended to: write it with -O (replaced on every run)'
    """
    for uri, options in feeds.items():
        if (options or {}).get("format") == "parquet" and not (options or {}).get("overwrite"):
            return f"-o {uri}: a Parquet file cannot be appended to: write it with -O (replaced on every run)"
    return None


def overwrites_an_archive(feeds: dict, archives: tuple[Path, ...]) -> str | None:
    """Why an output file cannot be written in a replay: it is one of the archives read."""
    read = {Path(a).resolve() for a in archives}
    for uri in feeds:
        uri = str(uri)
        path = Path(file_uri_to_path(uri) if uri.startswith("file:") else uri)
        if "%(" not in uri and path.resolve() in read:
            return f"{path} is one of the archives this replay reads: writing it would destroy it; give another file"
    return None


class Command(ScrapyCrawlCommand):
    def process_options(self, args: list[str], opts: argparse.Namespace) -> None:
        super().process_options(args, opts)
        self._choose_feeds(args, opts)
        anchor_to_project(self.settings, project_root())
        explicit_output_state(self.settings, [*(opts.output or []), *(opts.overwrite_output or [])])
        try:
            check_settings(self.settings)
        except SettingError as error:
            self._fail(args, error)
        if len(args) != 1:
            return  # Scrapy's run() explains the usage
        if said := start_afresh(self.settings.get("JOBDIR")):
            print(f"INFO: {said}", file=sys.stderr)
        try:
            spidercls = get_spider_loader(self.settings).load(args[0])
        except KeyError as error:
            raise UsageError(str(error), print_help=False) from None
        validate = getattr(spidercls, "validate_arguments", None)
        try:
            options = validate(opts.spargs) if validate is not None else None
        except ArgumentError as error:
            self._fail(args, error)
        if getattr(options, "listed", ()) \
                and self.settings.getpriority("NEWSCRAWL_INCREMENTAL") < SETTINGS_PRIORITIES["cmdline"]:
            # A shared list is fetched whole, whatever this machine's store knows: it
            # rebuilds (and checks) someone's dataset, it is no incremental run.
            self.settings.set("NEWSCRAWL_INCREMENTAL", False, priority="cmdline")
        replay = bool(getattr(options, "archives", ()))
        if replay:
            if problem := overwrites_an_archive(self.settings.getdict("FEEDS"), options.archives):
                self._fail(args, problem, CANT_WRITE_EXIT)
            if options.workers > 1:
                if self.settings.getbool("NEWSCRAWL_REPLAY_INCREMENTAL"):
                    self._fail(args, "-a workers replays without the state store: unset NEWSCRAWL_REPLAY_INCREMENTAL")
                if redis_url(self.settings):
                    self._fail(args, "-a workers shares a replay among the cores of this machine; with REDIS_URL, "
                                     "start one worker per machine instead")
            self._replay(args)
            if options.workers > 1:
                self._start_workers(options.workers)
        self._check_redis(args)
        if replay and not self.settings.getbool("NEWSCRAWL_INCREMENTAL"):
            return  # a replay that leaves the store alone runs beside any crawl, unlocked
        self._take_the_run(args, options)

    def _check_redis(self, args: list[str]) -> None:
        """Distributed mode: a Redis that does not answer stops the run before it starts."""
        if url := redis_url(self.settings):
            try:
                check_reachable(url)
            except ConnectionError as error:
                self._fail(args, error, UNAVAILABLE_EXIT)

    def _replay(self, args: list[str]) -> None:
        """A replay (-a archive): its settings (newscrawl/archive/replay.py), its output folder."""
        replay_settings(self.settings)
        anchor_to_project(self.settings, project_root())
        try:
            check_writable(self.settings, args[0])
        except OSError as error:
            self._fail(args, error, CANT_WRITE_EXIT)

    def _start_workers(self, workers: int) -> None:
        """-a workers=N: this process is worker 0; the others are forked now, before any
        crawler exists, and go on from here with their own settings
        (newscrawl/archive/workers.py)."""
        folder, index, self.workers = fork_workers(workers)
        worker_settings(self.settings, index, workers, folder, self.workers)

    def _choose_feeds(self, args: list[str], opts: argparse.Namespace) -> None:
        if opts.output or opts.overwrite_output:
            self._only_explicit_feeds(opts)
            if problem := appended_parquet(self.settings.getdict("FEEDS")):
                self._fail(args, problem)
            if problem := not_a_regular_file(self.settings.getdict("FEEDS")):
                self._fail(args, problem, CANT_WRITE_EXIT)
        elif "_job" in opts.spargs and self.settings.getpriority("FEEDS") == SETTINGS_PRIORITIES["cmdline"]:
            # Scrapyd (it passes -a _job=...) gave its items file: written too, but the
            # run's own output stays, outside Scrapyd's rotation (jobs_to_keep), which
            # would otherwise delete files whose articles the store marks as exported.
            own = {RUN_FEED: {"format": "jsonlines", "encoding": "utf-8"}}
            self.settings.set("FEEDS", {**own, **self.settings.getdict("FEEDS")}, priority="cmdline")

    def _take_the_run(self, args: list[str], options: Any) -> None:
        """The run lock, its number, a usable store, writable and claimed output folders:
        checked and taken here, before Scrapy creates the crawler process (and its log)."""
        state_dir = self.settings.get("NEWSCRAWL_STATE_DIR")
        self.lock = None
        try:
            self.lock = RunLock.for_state_dir(state_dir, lock_name(self.settings)).acquire()
            self.settings.set("NEWSCRAWL_RUN_NUMBER", self.lock.next_run_number(), priority="cmdline")
        except LockHeld as error:
            self._fail(args, error, LOCKED_EXIT)
        except OSError as error:
            if self.lock is not None:
                self.lock.release()
            self._fail(args, f"cannot write to the state folder {state_dir}: {error.strerror or error}"
                              f"{disk_note(Path(state_dir), error)}", CANT_WRITE_EXIT)
        if self.settings.getbool("NEWSCRAWL_INCREMENTAL") and not redis_url(self.settings):
            store = Path(self.settings.get("NEWSCRAWL_STATE_DIR")) / STORE_NAME
            try:
                holds_articles(store)  # readable?
                create_store(store)
            except CorruptStore as error:
                self.lock.release()
                self._fail(args, error, CANT_WRITE_EXIT)
            except (sqlite3.Error, OSError) as error:
                self.lock.release()
                self._fail(args, f"cannot create the state store {store}: {error}{disk_note(store, error)}; "
                                  "nothing was left behind: run again once there is room", CANT_WRITE_EXIT)
        try:
            check_writable(self.settings, args[0])
            self.claims = self._claim_output_folders(args[0], options)
        except (OSError, LockHeld) as error:
            self.lock.release()
            self._fail(args, error, LOCKED_EXIT if isinstance(error, LockHeld) else CANT_WRITE_EXIT)

    def _claim_output_folders(self, spider_name: str, options: Any) -> list[OutputClaim]:
        """Claim the output folders for this run's sites (see OutputClaim); not in
        distributed mode, where every worker shares one store in Redis."""
        hosts = getattr(options, "hosts", None)
        if redis_url(self.settings) or not hosts:
            return []
        state_dir = str(Path(self.settings.get("NEWSCRAWL_STATE_DIR")).resolve())
        claims: list[OutputClaim] = []
        try:
            for folder in local_feed_folders(self.settings, spider_name):
                claims.append(OutputClaim(folder, state_dir, frozenset(hosts)).acquire())
        except LockHeld:
            for claim in claims:
                claim.release()
            raise
        return claims

    def _only_explicit_feeds(self, opts: argparse.Namespace) -> None:
        """-o/-O FILE means that file instead of output/tribun/ (Scrapy would merge it into
        settings.py's FEEDS and write both)."""
        given = [*(opts.output or []), *(opts.overwrite_output or [])]
        merged = feed_process_params_from_cli(self.settings, opts.output, overwrite_output=opts.overwrite_output)
        explicit = {uri: options for uri, options in merged.items() if any(value.startswith(uri) for value in given)}
        for options in explicit.values():
            # -O FILE is this run's output: replaced (atomically) even by an empty run,
            # or a load of FILE would ingest the previous run's lines again.
            if options.get("overwrite"):
                options["store_empty"] = True
        self.settings.delete("FEEDS", priority="cmdline")
        self.settings.set("FEEDS", explicit, priority="cmdline")

    def _fail(self, args: list[str], error: Exception, status: int = USAGE_EXIT) -> None:
        """One line on stderr, and in the log file if there is one (Scrapyd's job log)."""
        line = f"scrapy crawl {args[0] if args else ''}: error: {error}"
        print(line, file=sys.stderr)
        if log_file := self.settings.get("LOG_FILE"):
            try:
                with open(log_file, "a", encoding="utf-8") as log:
                    log.write(f"{datetime.now():%Y-%m-%d %H:%M:%S} [newscrawl] ERROR: {line} "
                              f"(exit status {status})\n")
            except OSError:
                pass  # stderr has it
        sys.exit(status)

    def run(self, args: list[str], opts: argparse.Namespace) -> None:
        self._run(args, opts)
        # The run is over, its files closed and synced. Python's last garbage collection at
        # exit would walk the whole heap (an archive's index, parsed pages) for nothing:
        # a fifth of a second per run, measured. Frozen objects are left to the exit.
        gc.freeze()

    def _run(self, args: list[str], opts: argparse.Namespace) -> None:
        lock = getattr(self, "lock", None)
        if lock is None and not opts.spargs.get("archive"):
            return super().run(args, opts)
        try:
            if lock is not None and lock.stale_pid:
                logger.warning("The previous run (pid %d) did not finish cleanly; taking over its lock %s",
                               lock.stale_pid, lock.path)
            assert self.crawler_process
            crawler = self._create_crawler(args[0])
            stopped: list[bool] = []  # the engine stopped: the run ended, whatever its verdict
            crawler.signals.connect(lambda: stopped.append(True), signal=signals.engine_stopped, weak=False)
            self.crawler_process.crawl(crawler, **opts.spargs)
            self.crawler_process.start()
            if self.crawler_process.bootstrap_failed:
                self.exitcode = 1
            elif not stopped and getattr(crawler, "engine", None) is not None:  # the reactor stopped under it
                self.exitcode = EXIT_STATUS[abandoned(crawler)]
            else:
                self.exitcode = EXIT_STATUS.get(crawler.stats.get_value("newscrawl/verdict"), 0)
        finally:
            for pid in getattr(self, "workers", []):  # worker 0 ended early: none outlives it
                stop_worker(pid)
            for claim in getattr(self, "claims", []):
                claim.release()
            if lock is not None:
                lock.release()
        if self.settings.getint("NEWSCRAWL_WORKER_INDEX"):
            # A forked replay worker: its output and stats are final, worker 0 has them;
            # ending here skips tearing down a copy of worker 0's interpreter (a third of a
            # second of nothing, that worker 0 would wait for).
            logging.shutdown()
            os._exit(self.exitcode)
