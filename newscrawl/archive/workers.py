"""A replay on every core: ``-a workers=N`` spreads it over N processes on one machine.

The crawl command's own process is worker 0; it forks workers 1..N-1 before its crawler
exists (fork_workers), each with its place among them in its settings (NEWSCRAWL_WORKERS,
NEWSCRAWL_WORKER_INDEX, NEWSCRAWL_WORKERS_DIR: a folder of their own). Then, in every worker:

1. **Index a share**: the archives are cut into shares of NEWSCRAWL_REPLAY_SHARE bytes;
   each worker takes the next share no other has taken (a claim file), indexes it, and
   leaves what it found in the folder (``share-n.pickle``); it waits for the others' and
   absorbs them all (newscrawl/archive/shared_index.py: read_shared, FolderBoard).
2. **Replay, an article at a time**: each worker takes the next article (by canonical
   page-1 URL in archive order) no other has taken, whenever it has room for one (Deal, with
   tickets from the folder: Plan.take_ticket), so a worker on a slower core takes fewer.
   An article and all its pages and versions belong to one worker: each is exported once,
   its versions in capture order, as in one process.
3. **One output**: workers 1..N-1 write JSON Lines and their stats into the folder; worker 0,
   when its own share is done, waits for them and passes their articles through its own
   feeds (any format, committed as usual) and their counts into its own stats, which its
   verdict judges (newscrawl/archive/worker_merge.py). A worker that failed makes the run
   ``failed``, named in its problem line.
"""
from __future__ import annotations

import ctypes
import fcntl
import os
import signal
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Iterable, Iterator

from scrapy import signals
from scrapy.utils.asyncio import sleep

from newscrawl.internals import engine_has_room, engine_running
from newscrawl.network.urls import canonical_url

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

    def take_ticket(self) -> int:
        """The next article number no worker has taken: a counter in the workers' folder,
        under an exclusive lock (closing the file releases it)."""
        fd = os.open(self.folder / "tickets", os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
            number = int.from_bytes(os.pread(fd, 8, 0), "big")
            os.pwrite(fd, (number + 1).to_bytes(8, "big"), 0)
            return number
        finally:
            os.close(fd)


def deal(urls: Iterable[str], take_ticket: Callable[[], int], mine: set[str]) -> Iterator[str]:
    """The articles of ``urls`` a worker gets when several replay together: it takes the next
    article no worker has taken each time it asks for one (``take_ticket``: a counter all of
    them share), so a worker on a slower core or machine takes fewer. Every worker walks the
    same articles in the same order, each counted once by its canonical page-1 URL; an
    article and all its URLs go to one worker (``mine``: the articles it took)."""
    seen: set[str] = set()
    ticket = -1
    for url in urls:
        article = canonical_url(url)
        if article in seen:
            if article in mine:
                yield url
            continue
        number = len(seen)
        seen.add(article)
        if ticket < number:  # asked for the next article of its own: take one
            ticket = take_ticket()
        if ticket == number:
            mine.add(article)
            yield url


class Deal:
    """How a worker takes its articles when several replay together: the next article no
    worker has taken (deal, with ``take_ticket``), and only once it can start it (room): its
    scheduler empty and its engine with room. Scrapy reads a spider's start() at once
    otherwise, and the first worker would take every article."""

    def __init__(self, crawler: Any, take_ticket: Callable[[], int]) -> None:
        self.crawler, self.take_ticket = crawler, take_ticket
        self.mine: set[str] = set()
        self.scheduler_empty = False
        crawler.signals.connect(self._empty, signal=signals.scheduler_empty)

    def articles(self, urls: Iterable[str]) -> Iterator[str]:
        """This worker's articles of ``urls``, taken as it asks for them."""
        return deal(urls, self.take_ticket, self.mine)

    def _empty(self) -> None:
        self.scheduler_empty = True

    async def room(self) -> None:
        engine = self.crawler.engine
        self.scheduler_empty = False
        while engine_running(engine) and (not self.scheduler_empty or not engine_has_room(engine)):
            await sleep(0.001)


PR_SET_PDEATHSIG = 1  # linux/prctl.h


def fork_workers(workers: int) -> tuple[Path, int, list[int]]:
    """Workers 1..N-1 of a replay, forked from the crawl command before its crawler exists
    (so they start with everything imported: no second startup). Returns the workers'
    folder, this process's index (0 in the one that called, 1..N-1 in the forks) and, in
    worker 0, the others' pids. Each fork is a process group of its own: a Ctrl-C reaches
    worker 0, which passes it on."""
    folder = Path(tempfile.mkdtemp(prefix="newscrawl-workers-"))
    pids = []
    parent = os.getpid()
    for index in range(1, workers):
        sys.stdout.flush(), sys.stderr.flush()
        pid = os.fork()
        if pid == 0:
            os.setpgid(0, 0)
            die_with(parent)
            return folder, index, []
        pids.append(pid)
    return folder, 0, pids


def die_with(parent: int) -> None:
    """This forked worker is killed when worker 0 ends, however it ends (SIGKILL included):
    the kernel's parent-death signal. Without it a worker whose worker 0 was killed went on
    alone, at full speed, for as long as its share lasted."""
    libc = ctypes.CDLL(None, use_errno=True)
    libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
    if os.getppid() != parent:  # worker 0 died before the signal was asked for
        os._exit(1)


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
