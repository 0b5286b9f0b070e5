"""What a run takes before its crawler exists (the crawl command's preflight).

Checked, in this order, before Scrapy creates the crawler process and its log: the output
(``-o``/``-O``), the ``NEWSCRAWL_*`` settings, the ``-a`` arguments, a replay's settings and
its ``-a workers`` (forked here, newscrawl/archive/workers.py), the Redis of distributed
mode, then taken: the run lock and its number, a usable state store, writable and claimed
output folders. Any refusal is one ``Refusal`` (a line and an exit status of
newscrawl/run/verdict.py), and what was taken is given back.
"""
from __future__ import annotations

import argparse
import os
import sqlite3
import stat
import sys
from datetime import datetime
from pathlib import Path
from typing import Any

from scrapy.settings import SETTINGS_PRIORITIES, BaseSettings
from scrapy.spiderloader import get_spider_loader
from scrapy.utils.conf import feed_process_params_from_cli
from w3lib.url import file_uri_to_path

from newscrawl.archive.replay import replay_settings
from newscrawl.archive.workers import fork_workers, stop_worker, worker_settings
from newscrawl.config import RUN_FEED, anchor_to_project, explicit_output_state, project_root, redis_url, worker_name
from newscrawl.crawl.arguments import CHECKED_ARGUMENTS, ArgumentError
from newscrawl.dedup.redis_store import check_reachable
from newscrawl.dedup.store import STORE_NAME, CorruptStore, create_store, holds_articles
from newscrawl.output.feeds import check_writable, local_feed_folders
from newscrawl.options import SettingError, check_settings
from newscrawl.output.journal import disk_note
from newscrawl.run.jobdir import start_afresh
from newscrawl.run.runlock import LOCK_NAME, LockHeld, OutputClaim, RunLock
from newscrawl.run.verdict import CANT_WRITE, LOCKED, UNAVAILABLE, USAGE


def tell(settings: BaseSettings, level: str, line: str, status: int | None = None) -> None:
    """A line said before the crawler (and its log) exists: on stderr, and in the log file if
    there is one (Scrapyd's job log: Scrapyd keeps a job's stderr in its own log)."""
    print(f"{level}: {line}" if level == "INFO" else line, file=sys.stderr)
    if log_file := settings.get("LOG_FILE"):
        try:
            with open(log_file, "a", encoding="utf-8") as log:
                log.write(f"{datetime.now():%Y-%m-%d %H:%M:%S} [newscrawl] {level}: {line}"
                          + (f" (exit status {status})" if status is not None else "") + "\n")
        except OSError:
            pass  # stderr has it


class Refusal(Exception):
    """The run cannot start: one line, and the exit status that says why."""

    def __init__(self, message: Any, status: int = USAGE) -> None:
        super().__init__(str(message))
        self.status = status


class UnknownSpider(Exception):
    """Not a spider of this project (Scrapy's usage error says so)."""


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


class Preflight:
    """The run's checks and what it holds until it ends: its lock, its output claims, the
    replay's other workers. ``release()`` gives them back."""

    def __init__(self, settings: BaseSettings) -> None:
        self.settings = settings
        self.lock: RunLock | None = None
        self.claims: list[OutputClaim] = []
        self.workers: list[int] = []  # the other replay workers' pids (in worker 0)

    def check(self, args: list[str], opts: argparse.Namespace) -> None:
        """Everything before the crawler; raises Refusal (having given back what it took)."""
        try:
            self._check(args, opts)
        except Refusal:
            self.release()
            raise

    def _check(self, args: list[str], opts: argparse.Namespace) -> None:
        settings = self.settings
        given = [*(opts.output or []), *(opts.overwrite_output or [])]
        if given:
            self._only_explicit_feeds(opts)
            if problem := appended_parquet(settings.getdict("FEEDS")):
                raise Refusal(problem)
            if problem := not_a_regular_file(settings.getdict("FEEDS")):
                raise Refusal(problem, CANT_WRITE)
        elif "_job" in opts.spargs and settings.getpriority("FEEDS") == SETTINGS_PRIORITIES["cmdline"]:
            # Scrapyd (it passes -a _job=...) gave its items file: written too, but the
            # run's own output stays, outside Scrapyd's rotation (jobs_to_keep), which
            # would otherwise delete files whose articles the store marks as exported.
            own = {RUN_FEED: {"format": "jsonlines", "encoding": "utf-8"}}
            settings.set("FEEDS", {**own, **settings.getdict("FEEDS")}, priority="cmdline")
        anchor_to_project(settings, project_root())
        explicit_output_state(settings, given)
        try:
            check_settings(settings)
        except SettingError as error:
            raise Refusal(error) from None
        if len(args) != 1:
            return  # Scrapy's run() explains the usage
        if said := start_afresh(settings.get("JOBDIR")):
            tell(settings, "INFO", said)
        options = self._arguments(args[0], opts)
        if replay := bool(getattr(options, "archives", ())):
            self._replay(args[0], options)
        if url := redis_url(settings):
            try:
                check_reachable(url)
            except ConnectionError as error:
                raise Refusal(error, UNAVAILABLE) from None
        if replay and not settings.getbool("NEWSCRAWL_INCREMENTAL"):
            return  # a replay that leaves the store alone runs beside any crawl, unlocked
        self._take_the_run(args[0], options)

    def _arguments(self, spider_name: str, opts: argparse.Namespace) -> Any:
        """The spider's ``-a`` arguments, checked (None for a spider without a check)."""
        try:
            spidercls = get_spider_loader(self.settings).load(spider_name)
        except KeyError as error:
            raise UnknownSpider(str(error)) from None
        validate = getattr(spidercls, "validate_arguments", None)
        try:
            options = validate(opts.spargs) if validate is not None else None
        except ArgumentError as error:
            raise Refusal(error) from None
        if options is not None:  # read once: the spider takes them as checked (a list of 10^6 rows: 9 s)
            opts.spargs = {**opts.spargs, CHECKED_ARGUMENTS: options}
        if getattr(options, "listed", ()) \
                and self.settings.getpriority("NEWSCRAWL_INCREMENTAL") < SETTINGS_PRIORITIES["cmdline"]:
            # A shared list is fetched whole, whatever this machine's store knows: it
            # rebuilds (and checks) someone's dataset, it is no incremental run.
            self.settings.set("NEWSCRAWL_INCREMENTAL", False, priority="cmdline")
        return options

    def _replay(self, spider_name: str, options: Any) -> None:
        """A replay (-a archive): its settings (newscrawl/archive/replay.py), its output
        folder, and with ``-a workers=N`` the other workers, forked now, before any crawler
        exists: they go on from here with their own settings."""
        settings = self.settings
        if problem := overwrites_an_archive(settings.getdict("FEEDS"), options.archives):
            raise Refusal(problem, CANT_WRITE)
        if options.workers > 1:
            if settings.getbool("NEWSCRAWL_REPLAY_INCREMENTAL"):
                raise Refusal("-a workers replays without the state store: unset NEWSCRAWL_REPLAY_INCREMENTAL")
            if redis_url(settings):
                raise Refusal("-a workers shares a replay among the cores of this machine; with REDIS_URL, "
                              "start one worker per machine instead")
        replay_settings(settings)
        anchor_to_project(settings, project_root())
        try:
            check_writable(settings, spider_name)
        except OSError as error:
            raise Refusal(error, CANT_WRITE) from None
        if options.workers > 1:
            folder, index, self.workers = fork_workers(options.workers)
            worker_settings(settings, index, options.workers, folder, self.workers)

    def _take_the_run(self, spider_name: str, options: Any) -> None:
        """The run lock, its number, a usable store, writable and claimed output folders."""
        settings = self.settings
        state_dir = settings.get("NEWSCRAWL_STATE_DIR")
        try:
            self.lock = RunLock.for_state_dir(state_dir, lock_name(settings)).acquire()
            settings.set("NEWSCRAWL_RUN_NUMBER", self.lock.next_run_number(), priority="cmdline")
        except LockHeld as error:
            raise Refusal(error, LOCKED) from None
        except OSError as error:
            raise Refusal(f"cannot write to the state folder {state_dir}: {error.strerror or error}"
                          f"{disk_note(Path(state_dir), error)}", CANT_WRITE) from None
        if settings.getbool("NEWSCRAWL_INCREMENTAL") and not redis_url(settings):
            store = Path(state_dir) / STORE_NAME
            try:
                holds_articles(store)  # readable?
                create_store(store)
            except CorruptStore as error:
                raise Refusal(error, CANT_WRITE) from None
            except (sqlite3.Error, OSError) as error:
                raise Refusal(f"cannot create the state store {store}: {error}{disk_note(store, error)}; "
                              "nothing was left behind: run again once there is room", CANT_WRITE) from None
        try:
            check_writable(settings, spider_name)
            self._claim_output_folders(spider_name, options)
        except LockHeld as error:
            raise Refusal(error, LOCKED) from None
        except OSError as error:
            raise Refusal(error, CANT_WRITE) from None

    def _claim_output_folders(self, spider_name: str, options: Any) -> None:
        """Claim the output folders for this run's sites (see OutputClaim); not in
        distributed mode, where every worker shares one store in Redis."""
        hosts = getattr(options, "hosts", None)
        if redis_url(self.settings) or not hosts:
            return
        state_dir = str(Path(self.settings.get("NEWSCRAWL_STATE_DIR")).resolve())
        for folder in local_feed_folders(self.settings, spider_name):
            self.claims.append(OutputClaim(folder, state_dir, frozenset(hosts)).acquire())

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

    def release(self) -> None:
        """Give back what the run took (worker 0 ending early: no worker outlives it)."""
        for pid in self.workers:
            stop_worker(pid)
        self.workers = []
        for claim in self.claims:
            claim.release()
        self.claims = []
        if self.lock is not None:
            self.lock.release()
            self.lock = None
