"""A replay on several machines (``-a archive=`` with ``REDIS_URL``): the archive index,
built once by all workers together and shared through Redis.

Every worker is given the same archive files (a shared folder, or copies at any path on
each machine: files are known by name and size, not by path). The archives are cut into
the shares of a replay on one machine (newscrawl/archive/workers.py); a worker claims a
share in Redis (``SET NX`` with an expiry: a worker killed mid-share loses its claim and
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
from typing import Callable

from newscrawl.archive.index import ArchiveIndex, IndexingStopped
from newscrawl.archive.records import sources_of
from newscrawl.archive.workers import shares


class ArchivesDiffer(Exception):
    """This worker was given other archives than the crawl's first worker."""


def read_distributed(files: list[Path], hosts: frozenset[str], max_size: int, stop: Callable[[], bool],
                     server, prefix: str, worker: str, share_bytes: int, claim_seconds: float) -> ArchiveIndex:
    """The index of all the archives, built with the other workers through Redis."""
    key = lambda name: f"{prefix}:replay:{name}"  # noqa: E731
    index = ArchiveIndex(sources_of(files), frozenset(h.lower() for h in hosts), max_size, stop)
    mine = json.dumps([[Path(s.path).name, s.member, s.size()] for s in index.sources])
    if not server.set(key("sources"), mine, nx=True) and (theirs := server.get(key("sources")).decode()) != mine:
        raise ArchivesDiffer(f"this worker's archives ({_names(mine)}) are not the crawl's ({_names(theirs)}): "
                             "give every worker the same files")
    plan = shares(index, share_bytes)
    while server.scard(key("done")) < len(plan):
        took = False
        for number, (source, start, end) in enumerate(plan):
            if stop():
                raise IndexingStopped()
            if server.sismember(key("done"), number) or not server.set(
                    key(f"claim:{number}"), worker, nx=True, px=int(claim_seconds * 1000)):
                continue
            part = ArchiveIndex(index.sources, index.hosts, max_size, stop)
            part.scan_range(source, start, end)
            server.hset(key("partials"), number, pickle.dumps(part.partial(), protocol=pickle.HIGHEST_PROTOCOL))
            server.sadd(key("done"), number)
            took = True
        if not took:
            time.sleep(0.05)  # the others' shares are still being indexed
    for blob in server.hgetall(key("partials")).values():
        index.absorb(pickle.loads(blob))
    index.choose()
    return index


def _names(fingerprint: str) -> str:
    return ", ".join(name for name, _, _ in json.loads(fingerprint))
