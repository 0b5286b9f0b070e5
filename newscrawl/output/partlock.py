"""The ``.part`` files of a run without a journal (a replay, a run without the state store).

An incremental run's journal lets the next run settle what a killed one left. A run
without one has nothing of the kind: a replay worker killed mid-run left its ``.part``
in ``output/tribun-replay/`` for ever. So each such ``.part`` is held by a lock file
(``<part>.lock``, an flock) while its run lives, and a later run writing into the same
folder removes the ``.part`` files whose lock no process holds any more (their run
died: what they held is not final, the run is to be done again) and says so.
"""
from __future__ import annotations

import fcntl
import logging
from pathlib import Path
from typing import IO

logger = logging.getLogger(__name__)
LOCK = ".lock"


class PartLocks:
    """The locks this run holds on its own ``.part`` files."""

    def __init__(self) -> None:
        self.held: list[tuple[Path, IO]] = []

    def hold(self, part: Path) -> None:
        """Lock ``part`` as this live run's (best effort: a folder that refuses the lock
        file only loses the clean-up after a kill)."""
        lock = part.with_name(part.name + LOCK)
        try:
            handle = lock.open("a")
            fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError as error:
            logger.warning("%s cannot be locked (%s): if this run is killed, its .part stays", lock, error.strerror)
            return
        self.held.append((lock, handle))

    def release(self) -> None:
        """The run ended (its files final, set aside or removed): the locks go."""
        for lock, handle in self.held:
            handle.close()
            lock.unlink(missing_ok=True)
        self.held = []


def remove_dead_parts(folder: Path) -> list[str]:
    """Remove the ``.part`` files (and their scratch files) of runs that died, in
    ``folder``: those whose lock no process holds. Returns what was removed."""
    removed = []
    for lock in sorted(folder.glob(f"*.part{LOCK}")):
        try:
            with lock.open("a") as handle:
                fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)  # held: its run lives
                part = lock.with_name(lock.name[: -len(LOCK)])
                for scratch in [part, *folder.glob(f"{part.name}.*")]:
                    scratch.unlink(missing_ok=True)
                removed.append(str(part))
        except OSError:
            continue
    for part in removed:
        logger.warning("Removed %s: the unfinished file of a run that died (killed?) with no journal to settle "
                       "it; what it held is not final, run that replay again", part)
    return removed
