"""One run at a time per state directory: an advisory lock cron jobs cannot overlap; and
no two runs with different state directories writing the same sites into one output folder.

``flock`` is released by the kernel when the process dies, even by ``kill -9``, so a
killed run never blocks the next one; the PID it left in the file tells the next run
that it is taking over from a run that did not finish cleanly.
"""
from __future__ import annotations

import fcntl
import json
import os
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

LOCK_NAME = "run.lock"


class LockHeld(RuntimeError):
    """Another live run holds the lock; the message says which."""


@dataclass
class RunLock:
    """The lock file of a state directory; ``acquire()`` then ``release()``."""

    path: Path
    stale_pid: int | None = None  # PID of a run that died holding the lock
    _fd: int | None = None

    @classmethod
    def for_state_dir(cls, state_dir: str | Path, name: str = LOCK_NAME) -> "RunLock":
        return cls(Path(state_dir) / name)

    def acquire(self) -> "RunLock":
        """Take the lock or raise LockHeld; notes a stale holder in ``stale_pid``."""
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        except OSError as error:
            raise OSError(f"cannot use the state folder {self.path.parent}: {error.strerror or error}") from None
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = os.read(fd, 200).decode(errors="replace").strip() or "unknown"
            os.close(fd)
            raise LockHeld(f"another run holds {self.path} ({holder}); not starting") from None
        previous = os.read(fd, 200).decode(errors="replace").split()
        if previous and previous[0].startswith("pid=") and previous[0][4:].isdigit():
            self.stale_pid = int(previous[0][4:])
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"pid={os.getpid()} started={datetime.now(timezone.utc).isoformat()}\n".encode(), 0)
        self._fd = fd
        return self

    def next_run_number(self) -> int:
        """The number of the run holding the lock: one more than the last, kept beside the
        lock (``<lock>.seq``), so output names sort in run order whatever the clock says."""
        counter = self.path.with_name(self.path.name + ".seq")
        try:
            last = int(counter.read_text().strip() or 0)
        except (FileNotFoundError, ValueError):
            last = 0
        temporary = counter.with_name(counter.name + ".tmp")
        try:
            temporary.write_text(f"{last + 1}\n")
            os.replace(temporary, counter)
        except OSError:
            temporary.unlink(missing_ok=True)
            raise
        return last + 1

    def release(self) -> None:
        """Clear the file (a clean finish) and unlock."""
        if self._fd is not None:
            os.ftruncate(self._fd, 0)
            fcntl.flock(self._fd, fcntl.LOCK_UN)
            os.close(self._fd)
            self._fd = None


CLAIM_GLOB = ".newscrawl-run-*.claim"


@dataclass
class OutputClaim:
    """A running crawl's claim on an output folder: its state folder and the hosts it crawls.

    Two runs with *different* state folders know nothing of each other's exports: if both
    write the same sites into one folder, consumers get those articles twice. Such a
    second run is refused (LockHeld); runs on disjoint sites may share the folder.
    """

    folder: Path
    state_dir: str
    hosts: frozenset[str]
    _handle: Any = None

    @property
    def claims(self) -> Path:
        """Where the claims on the folder are kept: beside it, never in it. Scrapyd rotates
        every entry of its items folder by time: a file of ours there took one of the
        ``jobs_to_keep`` places, and Scrapyd deleted the newest item file instead."""
        return self.folder.parent / f".newscrawl-claims-{self.folder.name}"

    def acquire(self) -> "OutputClaim":
        self.folder.mkdir(parents=True, exist_ok=True)
        self.claims.mkdir(exist_ok=True)
        with (self.claims / "claims.lock").open("a") as guard:
            fcntl.flock(guard.fileno(), fcntl.LOCK_EX)  # one run at a time looks and claims
            for other in sorted(self.claims.glob(CLAIM_GLOB)):
                claim = _live_claim(other)
                overlap = claim and claim["state_dir"] != self.state_dir and self.hosts & set(claim["hosts"])
                if overlap:
                    raise LockHeld(f"a run with another state folder ({claim['state_dir']}, pid {claim['pid']}) "
                                   f"is writing {', '.join(sorted(overlap))} articles into {self.folder}: they would "
                                   "be exported twice; use the same state folder or another output folder")
            path = self.claims / f".newscrawl-run-{os.getpid()}.claim"
            self._handle = path.open("w")
            fcntl.flock(self._handle.fileno(), fcntl.LOCK_EX)
            self._handle.write(json.dumps({"state_dir": self.state_dir, "hosts": sorted(self.hosts),
                                           "pid": os.getpid()}))
            self._handle.flush()
        return self

    def release(self) -> None:
        if self._handle is not None:
            Path(self._handle.name).unlink(missing_ok=True)
            self._handle.close()
            self._handle = None


def _live_claim(path: Path) -> dict | None:
    """The claim in ``path`` while its run lives (it holds the file's lock); a dead run's
    claim is removed."""
    with path.open("r") as handle:
        try:
            fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            try:
                return json.loads(handle.read() or "{}") or None
            except ValueError:
                return None
    path.unlink(missing_ok=True)
    return None
