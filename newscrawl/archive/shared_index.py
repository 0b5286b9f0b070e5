"""A replay on several machines (``-a archive=`` with ``REDIS_URL``): the archive index,
built once by all workers together and shared through Redis.

Every worker is given the same archive files (a shared folder, or copies at any path on
each machine: files are known by name and size, not by path). The archives are cut into
the shares of a replay on one machine (newscrawl/archive/workers.py, index_together); a
worker claims a share in Redis (``SET NX`` with an expiry: a worker killed mid-share loses its claim and
another takes the share again), indexes it, and leaves what it found there (a pickled
partial index per share). When every share is done, each worker absorbs them all: every
worker holds the index of all the archives, and replays from its own copy of the files
whatever requests the shared frontier hands it. A worker that joins later finds the
shares done and reads them at once.
"""
from __future__ import annotations

import json
import pickle
import time
from pathlib import Path
from typing import Any, Callable, Iterator

from newscrawl.archive.index import ArchiveIndex
from newscrawl.archive.records import sources_of
from newscrawl.archive.workers import index_together


class ArchivesDiffer(Exception):
    """This worker was given other archives than the crawl's first worker."""


def read_distributed(files: list[Path], hosts: frozenset[str], max_size: int, stop: Callable[[], bool],
                     server, prefix: str, worker: str, share_bytes: int, claim_seconds: float) -> ArchiveIndex:
    """The index of all the archives, built with the other workers through Redis."""
    board = RedisBoard(server, f"{prefix}:replay", worker, claim_seconds)
    index = ArchiveIndex(sources_of(files), frozenset(h.lower() for h in hosts), max_size, stop)
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


def _names(fingerprint: str) -> str:
    return ", ".join(name for name, _, _ in json.loads(fingerprint))
