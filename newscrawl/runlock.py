"""One run at a time per state directory: an advisory lock cron jobs cannot overlap.

``flock`` is released by the kernel when the process dies, even by ``kill -9``, so a
killed run never blocks the next one; the PID it left in the file tells the next run
that it is taking over from a run that did not finish cleanly.
"""
from __future__ import annotations

import fcntl
import os
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

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
        temporary.write_text(f"{last + 1}\n")
        os.replace(temporary, counter)
        return last + 1

    def release(self) -> None:
        """Clear the file (a clean finish) and unlock."""
        if self._fd is not None:
            os.ftruncate(self._fd, 0)
            fcntl.flock(self._fd, fcntl.LOCK_UN)
            os.close(self._fd)
            self._fd = None
