"""The run's output files and their journal: all of them final, or none (exactly once).

Every exported item is first appended to a journal (``journal-<run>.jsonl`` in the state
dir, with the paths of the run's feeds and of its web archive, newscrawl/archive/writer.py). The
files are committed together: once every ``.part`` file is complete and synced, a
``commit`` record goes into the journal, then each ``.part`` is renamed to its final
name, then the journal goes into the store (newscrawl/dedup/state.py) and is deleted. A
journal found at start belongs to a run that died: with its ``commit`` record, the
renames are completed and its articles recorded; without, its ``.part`` files and
journal are discarded and the next crawl fetches those articles again. What is on disk
decides, never a clock.
"""
from __future__ import annotations

import contextlib
import errno
import fcntl
import json
import logging
import os
import shutil
from pathlib import Path
from typing import Any, Callable, Iterable, Iterator

from newscrawl.dedup.store import ExportedArticle
from newscrawl.internals import close_spider

logger = logging.getLogger(__name__)


def disk_note(path: Path, error: Any) -> str:
    """For a full disk, which one it is and what is left on it ('' otherwise)."""
    if getattr(error, "errno", None) != errno.ENOSPC and not any(
            said in str(error) for said in ("No space left", "disk is full")):  # OSError's, SQLite's
        return ""
    mount = Path(path).resolve()
    while not mount.exists() or not os.path.ismount(mount):
        if mount.parent == mount:
            break
        mount = mount.parent
    try:
        free = shutil.disk_usage(mount).free
    except OSError:
        return f": the disk of {mount} is full"
    return f": the disk of {mount} is full ({free // 1024} KB free)"


def part_of(final: Path, run: str) -> Path:
    """The file a run writes before its commit names it ``final``: ``<final>.part`` when the
    name is the run's own (the default feed, the archive), else ``<final>.<run>.part``, so
    that runs given one output file (``-o all.jsonl``) never write into each other's.

    >>> part_of(Path("out/tribun-7.jsonl"), "7").name, part_of(Path("all.jsonl"), "7").name
    ('tribun-7.jsonl.part', 'all.jsonl.7.part')
    """
    return final.with_name(f"{final.name}.part" if run in final.name else f"{final.name}.{run}.part")


@contextlib.contextmanager
def folders_locked(finals: Iterable[Path]) -> Iterator[None]:
    """Hold the folders of these files (an flock on each folder, in one order): runs that
    commit into one folder (an output file they share) take turns."""
    handles = []
    try:
        for folder in sorted({Path(f).parent.resolve() for f in finals}):
            try:
                handle = os.open(folder, os.O_RDONLY | os.O_DIRECTORY)
            except OSError:
                continue  # a folder that vanished: its renames fail and say so
            handles.append(handle)
            fcntl.flock(handle, fcntl.LOCK_EX)
        yield
    finally:
        for handle in handles:
            os.close(handle)


def sync_folder(folder: Path) -> None:
    """Make the renames done in ``folder`` durable (a power cut keeps them)."""
    handle = os.open(folder, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(handle)
    finally:
        os.close(handle)


def stop_for_output_error(crawler: Any, path: Path, error: Any) -> None:
    """A run file (feed, web archive, journal) cannot be written: say so in one line and stop
    the crawl (``output_error``); the file stays unfinished and nothing of the run is recorded."""
    stats = getattr(crawler, "stats", None)
    if stats is not None and stats.get_value("newscrawl/output_errors"):
        stats.inc_value("newscrawl/output_errors")  # said once already: one more file of the run
        logger.info("Cannot write %s either: %s", path, error)
        return
    if stats is not None:
        stats.inc_value("newscrawl/output_errors")
    logger.error("Cannot write %s: %s%s. Stopping the crawl; nothing of this run is recorded as "
                 "exported and the next run fetches its articles again.", path, error, disk_note(Path(path), error))
    close_spider(crawler, "output_error")


class RunFiles:
    """This run's output files and, in incremental mode (``state_dir``), its journal."""

    def __init__(self, state_dir: Path | None, run_id: Callable[[], str],
                 on_error: Callable[[Path, OSError], None] | None = None) -> None:
        self.state_dir = state_dir
        self.run_id = run_id
        self.on_error = on_error  # told once when the journal cannot be written
        self.error: OSError | None = None
        self.feeds: list[Path] = []
        self.appended: set[Path] = set()  # feeds whose commit appends to the final file (-o)
        self.appends: dict[Path, int] = {}  # and the final file's size then, taken at the commit
        self._finishers: list[Callable[[], None]] = []  # files completed before the commit
        self._journal: Any = None
        self._path: Path | None = None

    @property
    def journaling(self) -> bool:
        """Whether files wait for the run's commit to get their names."""
        return self._journal is not None

    def opened(self, final_path: Path, finish: Callable[[], None] | None = None, append: bool = False) -> None:
        """A file of this run is being written as ``<final_path>.part``; ``finish``, if
        given, completes and syncs it before the commit (raising OSError when it cannot).
        ``append``: the commit appends the ``.part`` to an existing final file (Scrapy's
        ``-o``) instead of replacing it."""
        self.feeds.append(final_path)
        if finish is not None:
            self._finishers.append(finish)
        if append:
            self.appended.add(final_path)
        self.write({"feed": str(final_path.resolve())})

    def renamed(self, final_path: Path, following: Path) -> None:
        """A file of the run now goes on as ``following`` (the archive rolled over); the
        journal keeps both (recovery discards whichever ``.part`` is left)."""
        self.feeds[self.feeds.index(final_path)] = following
        self.write({"feed": str(following.resolve())})

    def part(self, final_path: Path) -> Path:
        """Where this run writes ``final_path`` until its commit."""
        return part_of(final_path, self.run_id())

    def write(self, record: dict) -> None:
        """Append a record; flushed to the OS at once: a killed process loses nothing it wrote.
        A journal that cannot be written (a full disk) is reported once; the run then
        cannot record its exports, and its files are set aside (``error``)."""
        if self.state_dir is None or self.error is not None:
            return
        try:
            if self._journal is None:
                self._path = self.state_dir / f"journal-{self.run_id()}.jsonl"
                self._journal = self._path.open("a", encoding="utf-8")
                # Held while the run lives: recovery leaves a live worker's journal alone.
                fcntl.flock(self._journal.fileno(), fcntl.LOCK_EX)
            self._journal.write(json.dumps(record) + "\n")
            self._journal.flush()
        except OSError as error:
            self.error = error
            if self.on_error is not None:
                self.on_error(self._path or self.state_dir, error)

    def finish(self) -> int:
        """Complete the files that have a finisher (the archive); the number that failed."""
        failed = 0
        for finish in self._finishers:
            try:
                finish()
            except OSError as error:
                logger.error("%s", error)
                failed += 1
        self._finishers = []
        return failed

    def commit(self) -> None:
        """Give every complete ``.part`` its final name, after the journal says so. The
        folders are held meanwhile: a file appended to has the size it has now, which the
        journal keeps, so that a commit finished again after a kill appends once."""
        with folders_locked(self.feeds):
            for final in self.appended:
                if final.exists():
                    self.appends[final] = final.stat().st_size
                    self.write({"feed": str(final.resolve()), "append_at": self.appends[final]})
            if self._journal is not None:
                self.write({"commit": True})
                os.fsync(self._journal.fileno())
            finish_renames(self.feeds, self.run_id(), self.appends)

    def exported(self) -> list[ExportedArticle]:
        """The articles this run exported, read back from its journal."""
        if self._journal is None or self.error is not None:
            return []
        return read_journal(self._path)[1]

    def set_aside(self) -> None:
        """A run whose output failed leaves no file a consumer would take as complete."""
        for final in self.feeds:
            try:
                self.part(final).unlink(missing_ok=True)
                if final.exists():
                    final.rename(final.with_name(final.name + ".failed"))
                    logger.error("Renamed %s to %s.failed: its articles will be exported again", final, final.name)
            except OSError as error:
                logger.error("Could not set %s aside: %s", final, error)

    def end(self) -> None:
        """Close and delete the journal: the run is settled."""
        if self._journal is not None:
            self.close()
            self._path.unlink(missing_ok=True)

    def close(self) -> None:
        """Close (and unlock) the journal; left on disk, the next run settles it."""
        if self._journal is not None:
            try:
                self._journal.close()
            except OSError:
                pass  # what it could not flush, it could not write before either (self.error)
            self._journal = None


def recover(state_dir: Path, store: Any, stats: Any) -> None:
    """Settle the journals of runs that died (a lock keeps live runs out)."""
    for journal in sorted(state_dir.glob("journal-*.jsonl")):
        if _in_use(journal):
            continue
        feeds, articles, committed, appends = read_journal(journal)
        run = journal.name[len("journal-"):-len(".jsonl")]
        if committed:
            with folders_locked(feeds):
                finish_renames(feeds, run, appends)
            store.record(articles)
            said = (f"run {run} died after committing its files: they were completed and its "
                    f"{len(articles)} articles recorded ({', '.join(map(str, feeds))})")
            logger.warning("Took over: %s", said)
            stats.inc_value("newscrawl/state/recovered", len(articles))
        else:
            for feed in feeds:
                part = part_of(feed, run)
                part.unlink(missing_ok=True)
                for scratch in feed.parent.glob(f"{part.name}.*"):  # built from a .part (a WACZ)
                    scratch.unlink(missing_ok=True)
            said = (f"run {run} died before committing its files: its unfinished output was discarded "
                    f"and its {len(articles)} articles will be fetched again")
            logger.warning("Took over: %s", said)
            stats.inc_value("newscrawl/state/discarded", len(articles))
        stats.set_value("newscrawl/state/took_over", [*(stats.get_value("newscrawl/state/took_over") or []), said])
        journal.unlink()


def _in_use(path: Path) -> bool:
    """True while the run that writes this journal is alive (it holds the file's lock)."""
    with path.open("a") as handle:
        try:
            fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return True
        fcntl.flock(handle.fileno(), fcntl.LOCK_UN)
    return False


def read_journal(path: Path) -> tuple[list[Path], list[ExportedArticle], bool, dict[Path, int]]:
    """Feeds, articles, whether the feeds were committed, and the feeds appended to (with
    their size before); a line cut short by a kill is ignored."""
    feeds, articles, committed, appends = [], [], False, {}
    for line in path.read_text(encoding="utf-8").splitlines():
        try:
            record = json.loads(line)
        except ValueError:
            continue
        if "feed" in record:
            if isinstance(record.get("append_at"), int):  # taken at the commit (or at the open, before 0.3)
                appends[Path(record["feed"])] = record["append_at"]
            if Path(record["feed"]) not in feeds:
                feeds.append(Path(record["feed"]))
        elif "commit" in record:
            committed = True
        else:
            articles.append(ExportedArticle(**record))
    return feeds, articles, committed, appends


def finish_renames(feeds: list[Path], run: str, appends: dict[Path, int] | None = None) -> None:
    """Give each feed's complete ``.part`` file its final name (again after a kill: a
    rename already done left no ``.part``). A feed appended to an existing file is cut
    back to its size at the commit, then the ``.part`` is appended: once, however often
    this is done again. The caller holds the folders (folders_locked)."""
    for final in feeds:
        part = part_of(final, run)
        if not part.exists():
            continue
        if appends and final in appends and final.exists():
            append_part(part, final, appends[final])
        else:
            os.replace(part, final)


def append_part(part: Path, final: Path, size: int | None = None) -> None:
    """Append a complete ``.part`` to its final file (cut back to ``size`` first, when
    given: done again after a kill, it appends once), sync it, delete the ``.part``.
    The caller holds the final file's folder (folders_locked)."""
    with final.open("r+b") as target, part.open("rb") as source:
        if size is not None:
            target.truncate(size)
        target.seek(0, os.SEEK_END)
        shutil.copyfileobj(source, target)
        target.flush()
        os.fsync(target.fileno())
    part.unlink()
