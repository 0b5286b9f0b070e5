"""The runs' JSONL files a dataset is built from, and what changed since the last build."""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from newscrawl.crawl.arguments import files_in


class DatasetError(Exception):
    """A dataset cannot be built; the message is one line naming what was wrong."""


def input_files(paths: list[str]) -> list[Path]:
    """The finished JSONL files named or found in the folders named, in name order (run
    order: run files are named by their run number). ``.part`` files are runs still
    writing (or that died): never read."""
    try:
        return list(dict.fromkeys(f.resolve() for f in files_in(paths, ("*.jsonl",), ".jsonl file")))
    except ValueError as error:
        raise DatasetError(str(error)) from None


def run_report(path: Path) -> dict[str, Any] | None:
    """The report of the run that wrote ``path`` (``<run>.report.json`` beside it), or None."""
    report = path.with_name(path.name.rsplit(".", 1)[0] + ".report.json")
    try:
        found = json.loads(report.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return found if isinstance(found, dict) else None


def copies_said(files: list[Path]) -> dict[str, str]:
    """Copies that later runs found among earlier runs' articles (copy URL -> its original),
    from the reports of ``files``' runs: a copy exported before its original was met."""
    said: dict[str, str] = {}
    for path in files:
        copies = (run_report(path) or {}).get("copies_of_earlier_runs")
        if isinstance(copies, dict):
            said.update({k: v for k, v in copies.items() if isinstance(k, str) and isinstance(v, str)})
    return said


def resolved(copies: dict[str, str]) -> dict[str, str]:
    """Each copy pointed at the end of its chain (A -> B and B -> C: A -> C); a loop is cut.

    >>> resolved({"a": "b", "b": "c", "x": "y", "y": "x"})
    {'a': 'c', 'b': 'c', 'x': 'y', 'y': 'x'}
    """
    ends = {}
    for copy, original in copies.items():
        seen = {copy}
        while original in copies and original not in seen:
            seen.add(original)
            original = copies[original]
        ends[copy] = original if original != copy else copies[copy]
    return ends


def signature(path: Path) -> dict[str, int]:
    """What tells a file changed: its size and modification time."""
    info = path.stat()
    return {"size": info.st_size, "mtime_ns": info.st_mtime_ns}


@dataclass
class Manifest:
    """What a built dataset holds: its options, the inputs it read, its partitions (rows,
    filled fields, date range), kept in ``_newscrawl/manifest.json`` inside it."""

    options: dict[str, Any] = field(default_factory=dict)
    inputs: dict[str, dict[str, int]] = field(default_factory=dict)
    partitions: dict[str, dict[str, Any]] = field(default_factory=dict)
    built_at: str | None = None
    renumbered: int = 0  # rows of the inputs read so far whose version the build numbered anew
    copies: dict[str, str] = field(default_factory=dict)  # said by later runs' reports: copy -> original

    @classmethod
    def read(cls, path: Path) -> "Manifest":
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
            return cls(data["options"], data["inputs"], data["partitions"], data.get("built_at"),
                       data.get("renumbered", 0), data.get("copies", {}))
        except (OSError, ValueError, KeyError, TypeError) as error:
            raise DatasetError(f"{path}: cannot be read ({error}): rebuild in full with --full") from None

    def write(self, path: Path) -> None:
        path.write_text(json.dumps({"format": 1, "options": self.options, "inputs": self.inputs,
                                    "partitions": self.partitions, "built_at": self.built_at,
                                    "renumbered": self.renumbered, "copies": self.copies},
                                   indent=1, sort_keys=True), encoding="utf-8")


def what_changed(old: Manifest | None, files: list[Path], options: dict[str, Any]) -> tuple[list[Path], str | None]:
    """The files to read and, when the old dataset cannot be kept, why: an incremental
    build reads only files the last build did not, and needs every file it did read
    unchanged (a run's file appended to with -o, or deleted, means a full build)."""
    if old is None:
        return files, None
    if old.options != options:
        return files, f"options changed ({_options(old.options)} before, {_options(options)} now)"
    current = {str(f): f for f in files}
    for name, before in old.inputs.items():
        if name not in current:
            return files, f"{name} was read by the last build and is no longer among the inputs"
        if signature(current[name]) != before:
            return files, f"{name} changed since the last build"
    return [f for f in files if str(f) not in old.inputs], None


def _options(options: dict[str, Any]) -> str:
    return ", ".join(f"{k}={v}" for k, v in sorted(options.items()))
