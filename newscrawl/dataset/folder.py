"""A dataset is built aside and swapped in whole: never half-built, never two builds at once.

Beside ``dataset/``: ``.dataset.lock`` (the build's lock), ``.dataset.building/`` (the new
dataset), ``.dataset.spill/`` (scratch). The new dataset takes the old one's place in one
atomic exchange of the two folders (Linux ``renameat2(RENAME_EXCHANGE)``); where the file
system cannot exchange, by two renames, and a build killed between them finds the old
dataset at ``.dataset.old/`` and puts it back first. A build killed at any other moment
leaves the old dataset as it was; the next build clears what it left.
"""
from __future__ import annotations

import ctypes
import errno
import fcntl
import logging
import os
import shutil
from pathlib import Path

from newscrawl.dataset.inputs import DatasetError

logger = logging.getLogger(__name__)
# A dataset's layout: the Parquet tree under ARTICLES (README.md and urls.csv beside it,
# never inside, where readers would take them for data), the build's own files under META
# (pyarrow, pandas and Spark skip folders starting with "_").
ARTICLES = "articles"
META = "_newscrawl"
MANIFEST = Path(META) / "manifest.json"
INDEX = Path(META) / "index.arrow"
_AT_FDCWD, _RENAME_EXCHANGE = -100, 2


class BuildFolder:
    def __init__(self, dest: Path) -> None:
        self.dest = Path(dest).absolute()
        parent, name = self.dest.parent, self.dest.name
        self.lock_path = parent / f".{name}.lock"
        self.building = parent / f".{name}.building"
        self.old = parent / f".{name}.old"
        self.work = parent / f".{name}.spill"
        self.previous: Path | None = None
        self.committed = False
        self._lock = None

    def __enter__(self) -> "BuildFolder":
        try:
            self.dest.parent.mkdir(parents=True, exist_ok=True)
            self._lock = open(self.lock_path, "a")
        except OSError as error:
            raise DatasetError(f"{self.dest}: cannot be written ({error.strerror})") from None
        try:
            fcntl.flock(self._lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            self._lock.close()
            raise DatasetError(f"{self.dest}: another build of this dataset is running") from None
        try:
            self._recover()
            self._check_dest()
            for leftover in (self.building, self.work):
                shutil.rmtree(leftover, ignore_errors=True)
            self.building.mkdir()
            self.work.mkdir()
        except BaseException:
            self._release()
            raise
        return self

    def _recover(self) -> None:
        """A build killed between its two renames: the old dataset back in its place."""
        if self.old.exists():
            if not self.dest.exists():
                os.rename(self.old, self.dest)
                logger.warning("%s: put back the dataset an interrupted build had set aside", self.dest)
            else:
                shutil.rmtree(self.old, ignore_errors=True)

    def _check_dest(self) -> None:
        if not self.dest.exists():
            return
        if not self.dest.is_dir():
            raise DatasetError(f"{self.dest}: not a folder")
        if (self.dest / MANIFEST).is_file():
            self.previous = self.dest
        elif any(self.dest.iterdir()):
            raise DatasetError(f"{self.dest}: a folder that is not a dataset built by newscrawl "
                               "(no _newscrawl/manifest.json): give a new or empty folder")

    def commit(self) -> None:
        """The new dataset in the old one's place (or in place), all at once."""
        _sync_tree(self.building)
        if not self.dest.exists():
            os.rename(self.building, self.dest)
        elif not _exchange(self.building, self.dest):
            os.rename(self.dest, self.old)
            os.rename(self.building, self.dest)
            shutil.rmtree(self.old, ignore_errors=True)
        _sync_dir(self.dest.parent)
        self.committed = True

    def __exit__(self, *exc) -> None:
        shutil.rmtree(self.work, ignore_errors=True)
        # After a commit by exchange, the building folder holds the old dataset.
        shutil.rmtree(self.building, ignore_errors=True)
        self._release()

    def _release(self) -> None:
        if self._lock is not None:
            self._lock.close()  # closing the file releases the lock
            self._lock = None


def _exchange(a: Path, b: Path) -> bool:
    """Swap two folders atomically; False where the system cannot."""
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        renameat2 = libc.renameat2
    except (OSError, AttributeError):
        return False
    if renameat2(_AT_FDCWD, os.fsencode(a), _AT_FDCWD, os.fsencode(b), _RENAME_EXCHANGE) == 0:
        return True
    code = ctypes.get_errno()
    if code in (errno.ENOSYS, errno.EINVAL, errno.ENOTSUP):
        return False
    raise OSError(code, os.strerror(code), str(b))


def _sync_tree(root: Path) -> None:
    """Every file and folder of the new dataset on disk before it is swapped in."""
    for folder, _, files in os.walk(root):
        for name in files:
            fd = os.open(os.path.join(folder, name), os.O_RDONLY)
            try:
                os.fsync(fd)
            finally:
                os.close(fd)
        _sync_dir(Path(folder))


def _sync_dir(folder: Path) -> None:
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
