"""A replay on every core: ``-a workers=N`` spreads it over N processes on one machine.

The crawl command's own process is worker 0; it forks workers 1..N-1 before its crawler
exists (fork_workers), each with its place among them in its settings (NEWSCRAWL_WORKERS,
NEWSCRAWL_WORKER_INDEX, NEWSCRAWL_WORKERS_DIR: a folder of their own). Then, in every worker:

1. **Index a share**: the archives are cut into shares of NEWSCRAWL_REPLAY_SHARE bytes;
   each worker takes the next share no other has taken (a claim file), indexes it, and
   leaves what it found in the folder (``share-n.pickle``); it waits for the others' and
   absorbs them all (index_together): every worker then holds the same index of all the archives, so an article
   whose pages sit in different files is found whole by any worker.
2. **Replay a share**: every N-th article, by canonical page-1 URL in archive order. An
   article and all its pages and versions belong to one worker: each is exported once, its
   versions in capture order, as in one process.
3. **One output**: workers 1..N-1 write JSON Lines and their stats into the folder; worker 0,
   when its own share is done, waits for them and passes their articles through its own
   feeds (any format, committed as usual) and their counts into its own stats, which its
   verdict judges (newscrawl/archive/worker_merge.py). A worker that failed makes the run
   ``failed``, named in its problem line.
"""
from __future__ import annotations

import logging
import os
import pickle
import signal
import sys
import tempfile
import time
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Iterable, Iterator

from newscrawl.archive.index import ArchiveIndex, IndexingStopped
from newscrawl.archive.records import is_newscrawl_warcinfo, sources_of
from newscrawl.network.urls import canonical_url

logger = logging.getLogger(__name__)
# Counted once per index, the same in every worker: not summed over the workers.
INDEX_STATS = ("newscrawl/replay/records", "newscrawl/replay/urls", "newscrawl/replay/other_hosts",
               "newscrawl/replay/truncated", "newscrawl/replay/unresolved_revisits", "newscrawl/replay/too_large",
               "newscrawl/replay/skipped", "newscrawl/replay/unreadable_files", "newscrawl/replay/lost")
# A worker's own: its run, times, verdict, report.
OWN_STATS = ("item_scraped_count", "start_time", "finish_time", "finish_reason", "elapsed_time_seconds",
             "newscrawl/run", "newscrawl/verdict", "newscrawl/report_file", "memusage/startup", "memusage/max")


@dataclass
class Plan:
    """This process's place among the replay's workers."""

    index: int
    workers: int
    folder: Path
    share_bytes: int = 16 << 20  # NEWSCRAWL_REPLAY_SHARE
    pids: tuple[int, ...] = ()  # in worker 0: the others' process ids
    _mine: set[str] = field(default_factory=set, compare=False)

    @classmethod
    def from_settings(cls, settings: Any) -> "Plan | None":
        workers = settings.getint("NEWSCRAWL_WORKERS", 1)
        if workers <= 1:
            return None
        return cls(settings.getint("NEWSCRAWL_WORKER_INDEX"), workers, Path(settings.get("NEWSCRAWL_WORKERS_DIR")),
                   settings.getint("NEWSCRAWL_REPLAY_SHARE"),
                   tuple(int(p) for p in settings.getlist("NEWSCRAWL_WORKER_PIDS")))

    def signal(self, signum: int) -> None:
        """Signal the other workers (in worker 0; the others know no pids)."""
        for pid in self.pids:
            try:
                os.kill(pid, signum)
            except ProcessLookupError:
                pass

    def share(self, urls: Iterable[str]) -> Iterator[str]:
        """This worker's share of the articles: every N-th, counting each article once
        (by its canonical page-1 URL) in the order every worker sees the same. An article
        and all its pages and versions go to one worker; the shares differ by one at most."""
        seen: set[str] = set()
        for url in urls:
            article = canonical_url(url)
            if article in seen:
                if article in self._mine:
                    yield url
                continue
            seen.add(article)
            if len(seen) % self.workers == (self.index + 1) % self.workers:
                self._mine.add(article)
                yield url


def read_shared(files: list[Path], hosts: frozenset[str], max_size: int, stop: Callable[[], bool],
                plan: Plan) -> ArchiveIndex:
    """The index of all the archives, built with the other workers of this machine."""
    index = ArchiveIndex(sources_of(files), frozenset(h.lower() for h in hosts), max_size, stop)
    return index_together(index, plan.share_bytes, FolderBoard(plan))


def index_together(index: ArchiveIndex, share_bytes: int, board: Any) -> ArchiveIndex:
    """The index of all the archives, built by workers that each take the next share no
    other has taken on ``board`` (FolderBoard on one machine, shared_index.RedisBoard on
    several) and leave what they found there; then every worker absorbs every share.

    ``board`` answers ``claim(n)``, ``done(n)``, ``publish(n, partial)``, ``all_done(total)``,
    ``wait()`` (a moment, or an exception when waiting is hopeless) and ``partials()``.
    """
    plan = shares(index, share_bytes)
    while not board.all_done(len(plan)):
        took = False
        for number, (source, start, end) in enumerate(plan):
            if index.stop is not None and index.stop():
                raise IndexingStopped()
            if board.done(number) or not board.claim(number):
                continue
            part = ArchiveIndex(index.sources, index.hosts, index.max_size, index.stop)
            part.scan_range(source, start, end)
            board.publish(number, part.partial())
            took = True
        if not took:
            board.wait()  # the others' shares are still being indexed
    for partial in board.partials():
        index.absorb(partial)
    index.choose()
    return index


class FolderBoard:
    """The shares of the workers of one machine: claim files and pickled partial indexes
    in their folder. The index is complete once every share is done and every worker has
    said it has nothing more to take (``indexed-i``): all of them are there to replay it.
    A worker that never says so is noticed: worker 0 watches the others (WorkerLost), the
    others watch worker 0 (it is gone: they stop)."""

    def __init__(self, plan: Plan) -> None:
        self.plan = plan
        self.parent = os.getppid()

    def _path(self, number: int) -> Path:
        return self.plan.folder / f"share-{number}.pickle"

    def claim(self, number: int) -> bool:
        try:
            os.close(os.open(self.plan.folder / f"claim-{number}", os.O_CREAT | os.O_EXCL | os.O_WRONLY))
            return True
        except FileExistsError:
            return False

    def done(self, number: int) -> bool:
        return self._path(number).exists()

    def publish(self, number: int, partial: dict[str, Any]) -> None:
        part = self._path(number).with_suffix(".part")
        with open(part, "wb") as out:
            pickle.dump(partial, out, protocol=pickle.HIGHEST_PROTOCOL)
        os.replace(part, self._path(number))

    def all_done(self, total: int) -> bool:
        return (all(self.done(number) for number in range(total))
                and all((self.plan.folder / f"indexed-{index}").exists() for index in range(self.plan.workers)))

    def wait(self) -> None:
        plan = self.plan
        (plan.folder / f"indexed-{plan.index}").touch()  # nothing more to take: this worker waits
        if plan.index and os.getppid() != self.parent:  # worker 0 is gone
            raise IndexingStopped()
        if plan.index == 0 and (lost := _ended(plan.pids)):
            plan.signal(signal.SIGTERM)  # they would wait for its share for ever
            raise WorkerLost(f"replay worker {plan.pids.index(lost[0]) + 1} ended (exit status "
                             f"{lost[1]}) before it had indexed its share of the archives")
        time.sleep(0.005)

    def partials(self) -> Iterator[dict[str, Any]]:
        for path in sorted(self.plan.folder.glob("share-*.pickle")):
            with path.open("rb") as source:
                yield pickle.load(source)


class WorkerLost(Exception):
    """A replay worker ended before sharing its part of the index: nothing can be replayed whole."""


def _ended(pids: tuple[int, ...]) -> tuple[int, int] | None:
    """(pid, exit status) of a worker that has ended, left unreaped (WNOWAIT) for the
    crawl command to reap; None while all run."""
    for pid in pids:
        try:
            info = os.waitid(os.P_PID, pid, os.WEXITED | os.WNOHANG | os.WNOWAIT)
        except ChildProcessError:
            continue
        if info is not None:
            code = info.si_status if info.si_code == os.CLD_EXITED else -info.si_status
            return pid, code
    return None


def shares(index: ArchiveIndex, share: int) -> list[tuple[int, int, int | None]]:
    """The archives cut into shares of ``share`` bytes, (source, start, end), the same list in
    every worker. A worker takes the next share no other has taken: the first worker
    started takes more, none waits for another's last file. A source that starts with a
    newscrawl warcinfo (our own archive: its records scoped by it, a local mirror's host
    included) is one share."""
    out: list[tuple[int, int, int | None]] = []
    for number, source in enumerate(index.sources):
        try:
            size = source.size()
        except (OSError, KeyError, zipfile.BadZipFile):
            size = 0  # read whole: its error is said where it is read
        if size <= share or _starts_ours(source):
            out.append((number, 0, None))
            continue
        out += [(number, start, start + share if start + share < size else None) for start in range(0, size, share)]
    return out


def _starts_ours(source: Any) -> bool:
    from warcio.archiveiterator import ArchiveIterator

    try:
        with source.open() as stream:
            first = next(iter(ArchiveIterator(stream)))
            return first.rec_type == "warcinfo" and is_newscrawl_warcinfo(first.content_stream().read(4096))
    except Exception:  # noqa: BLE001 - warcio on a hostile first record: read whole, where it is said
        return True


def fork_workers(workers: int) -> tuple[Path, int, list[int]]:
    """Workers 1..N-1 of a replay, forked from the crawl command before its crawler exists
    (so they start with everything imported: no second startup). Returns the workers'
    folder, this process's index (0 in the one that called, 1..N-1 in the forks) and, in
    worker 0, the others' pids. Each fork is a process group of its own: a Ctrl-C reaches
    worker 0, which passes it on."""
    folder = Path(tempfile.mkdtemp(prefix="newscrawl-workers-"))
    pids = []
    for index in range(1, workers):
        sys.stdout.flush(), sys.stderr.flush()
        pid = os.fork()
        if pid == 0:
            os.setpgid(0, 0)
            return folder, index, []
        pids.append(pid)
    return folder, 0, pids


def worker_settings(settings: Any, index: int, workers: int, folder: Path, pids: list[int]) -> None:
    """This process's place among the workers; a forked worker's own output, stats and log
    in the workers' folder (worker 0 keeps the run's)."""
    for name, value in {"NEWSCRAWL_WORKERS": workers, "NEWSCRAWL_WORKER_INDEX": index,
                        "NEWSCRAWL_WORKERS_DIR": str(folder), "NEWSCRAWL_WORKER_PIDS": pids}.items():
        settings.set(name, value, priority="cmdline")
    if index == 0:
        return
    settings.delete("FEEDS", priority="cmdline")
    settings.set("FEEDS", {str(folder / f"worker-{index}.jsonl"): {
        "format": "jsonlines", "encoding": "utf-8", "overwrite": True, "store_empty": True}}, priority="cmdline")
    settings.set("NEWSCRAWL_CSV_FEED", False, priority="cmdline")
    settings.set("NEWSCRAWL_STATS_FILE", str(folder / f"stats-{index}.json"), priority="cmdline")
    settings.set("LOG_FILE", str(folder / f"worker-{index}.log"), priority="cmdline")


def stop_worker(pid: int, grace: float = 5.0) -> None:
    """Reap a worker as worker 0 ends: one still running after ``grace`` seconds (worker 0
    ended early, or it hangs) is stopped."""
    deadline = time.monotonic() + grace
    try:
        while os.waitpid(pid, os.WNOHANG)[0] == 0:
            if time.monotonic() > deadline:
                os.kill(pid, signal.SIGTERM)
                os.waitpid(pid, 0)
                return
            time.sleep(0.005)
    except ChildProcessError:
        pass  # reaped already
