"""The archive index of a replay, built once by its workers together: each takes the next
share of the archives no other has taken, indexes it, and leaves what it found on a board;
when every share is done, every worker absorbs them all (index_together), so every worker
holds the index of all the archives and an article whose pages sit in different files is
found whole by any of them.

- On one machine (``-a workers``, newscrawl/archive/workers.py): FolderBoard, claim files
  and pickled partial indexes in the workers' folder (read_shared).
- On several machines (``-a archive=`` with ``REDIS_URL``): RedisBoard (read_distributed).
  Every worker is given the same archive files (a shared folder, or copies at any path on
  each machine: files are known by name and size, not by path). A worker claims a share in
  Redis (``SET NX`` with an expiry: a worker killed mid-share loses its claim and another
  takes the share again) and leaves a pickled partial index per share there. A worker that
  joins later finds the shares done and reads them at once; each then replays, from its own
  copy of the files, the articles it deals itself (RedisTickets, workers.deal).
"""
from __future__ import annotations

import json
import os
import pickle
import signal
import time
import zipfile
from pathlib import Path
from typing import Any, Callable, Iterator

from newscrawl.archive.index import ArchiveIndex
from newscrawl.archive.scanner import IndexingStopped, Scanner
from newscrawl.archive.records import is_newscrawl_warcinfo
from newscrawl.archive.workers import Plan
from newscrawl.config import REPLAY_KEYS


def read_shared(files: list[Path], hosts: frozenset[str], max_size: int, stop: Callable[[], bool],
                plan: Plan) -> ArchiveIndex:
    """The index of all the archives, built with the other workers of this machine."""
    return index_together(ArchiveIndex.of(files, hosts, max_size, stop), plan.share_bytes, FolderBoard(plan))


def index_together(index: ArchiveIndex, share_bytes: int, board: Any) -> ArchiveIndex:
    """The index of all the archives, built by workers that each take the next share no
    other has taken on ``board`` (FolderBoard on one machine, RedisBoard on several) and
    leave what they found there; then every worker absorbs every share.

    ``board`` answers ``claim(n)``, ``done(n)``, ``publish(n, partial)``, ``all_done(total)``,
    ``wait()`` (a moment, or an exception when waiting is hopeless) and ``partials()``.
    """
    plan = shares(index, share_bytes)
    while not board.all_done(len(plan)):
        took = False
        for number, (source, start, end) in enumerate(plan):
            scanner = index.scanner
            if scanner.stop is not None and scanner.stop():
                raise IndexingStopped()
            if board.done(number) or not board.claim(number):
                continue
            part = Scanner(index.sources, scanner.hosts, scanner.max_size, scanner.stop)
            part.scan(source, start, end)
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


class ArchivesDiffer(Exception):
    """This worker was given other archives than the crawl's first worker."""


def read_distributed(files: list[Path], hosts: frozenset[str], max_size: int, stop: Callable[[], bool],
                     server, prefix: str, worker: str, share_bytes: int, claim_seconds: float) -> ArchiveIndex:
    """The index of all the archives, built with the other workers through Redis."""
    board = RedisBoard(server, f"{prefix}:{REPLAY_KEYS}", worker, claim_seconds)
    index = ArchiveIndex.of(files, hosts, max_size, stop)
    mine = json.dumps([[Path(s.path).name, s.member, s.size()] for s in index.sources])
    if not server.set(board.key("sources"), mine, nx=True) and (
            theirs := server.get(board.key("sources")).decode()) != mine:
        raise ArchivesDiffer(f"this worker's archives ({_names(mine)}) are not the crawl's ({_names(theirs)}): "
                             "give every worker the same files")
    return index_together(index, share_bytes, board)


class RedisBoard:
    """The shares of the workers of a distributed replay, in Redis: a claim that expires
    (a worker killed mid-share loses it to another), a set of shares done, and a hash of
    their pickled partial indexes."""

    def __init__(self, server, prefix: str, worker: str, claim_seconds: float) -> None:
        self.server, self.prefix, self.worker, self.claim_ms = server, prefix, worker, int(claim_seconds * 1000)

    def key(self, name: str) -> str:
        return f"{self.prefix}:{name}"

    def claim(self, number: int) -> bool:
        return bool(self.server.set(self.key(f"claim:{number}"), self.worker, nx=True, px=self.claim_ms))

    def done(self, number: int) -> bool:
        return bool(self.server.sismember(self.key("done"), number))

    def publish(self, number: int, partial: dict[str, Any]) -> None:
        self.server.hset(self.key("partials"), number, pickle.dumps(partial, protocol=pickle.HIGHEST_PROTOCOL))
        self.server.sadd(self.key("done"), number)

    def all_done(self, total: int) -> bool:
        return self.server.scard(self.key("done")) >= total

    def wait(self) -> None:
        time.sleep(0.05)

    def partials(self) -> Iterator[dict[str, Any]]:
        for blob in self.server.hgetall(self.key("partials")).values():
            yield pickle.loads(blob)


class RedisTickets:
    """The article numbers of a distributed replay (workers.deal): the next one no worker
    has taken, counted in Redis beside the shared index and cleared with it."""

    def __init__(self, server, prefix: str) -> None:
        self.server, self.key = server, f"{prefix}:{REPLAY_KEYS}:tickets"

    def __call__(self) -> int:
        import redis

        try:
            return int(self.server.incr(self.key)) - 1
        except redis.RedisError as error:
            raise TicketsLost(f"the shared Redis stopped answering ({error})") from None


class TicketsLost(RuntimeError):
    """The shared ticket counter cannot be reached: this worker can take no more articles."""


def _names(fingerprint: str) -> str:
    return ", ".join(name for name, _, _ in json.loads(fingerprint))
