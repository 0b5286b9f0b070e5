"""Corrections to the run's own files before they are committed: a copy exported before its original.

Within one run, a syndicated copy (published 09:00) may be crawled before its original
(08:00). The copy passed the pipelines as "the original so far" and is already in the
run's files when the original comes. Until the commit those files are only ``.part``:
this rewrites them then, so that the copy points at the original (``duplicate_of``,
``NEWSCRAWL_NEAR_DUPLICATES=mark``) or is left out (``drop``), whichever came first.
Across runs nothing can change a file already committed (README, Near-duplicates). Every
rewrite holds one record (a JSON item, a CSV row, a Parquet row group) at a time, never the file.
"""
from __future__ import annotations

import codecs
import csv
import json
import logging
import os
from pathlib import Path
from typing import Any, Callable, Iterator

logger = logging.getLogger(__name__)


class RunCorrections:
    """Copies to re-point (mark) or to leave out (drop) of this run's files."""

    def __init__(self) -> None:
        self.point: dict[str, str] = {}  # copy URL -> its original's URL
        self.drop: set[str] = set()

    def __bool__(self) -> bool:
        return bool(self.point or self.drop)

    def superseded(self, copies: list[str], original: str, mode: str) -> None:
        """``copies`` (exported this run) copy ``original``, published before them."""
        for copy in copies:
            if mode == "drop":
                self.drop.add(copy)
            else:
                self.point[copy] = original
        for copy, pointed in list(self.point.items()):  # chains: A -> B, then B -> C
            if pointed in self.point:
                self.point[copy] = self.point[pointed]

    def apply(self, files: dict[Path, str], part_of: Callable[[Path], Path]) -> tuple[int, int]:
        """Rewrite each file (its ``.part`` if not yet final) of a format we can read;
        returns (lines dropped, files left uncorrected)."""
        dropped = uncorrected = 0
        for final, format_ in files.items():
            part = part_of(final)
            path = part if part.exists() else final
            rewrite = _REWRITERS.get(format_)
            if rewrite is None or not path.exists():
                uncorrected += rewrite is None
                continue
            dropped = max(dropped, rewrite(path, self))
        return dropped, uncorrected

    def fixed(self, record: dict) -> dict | None:
        """The record as it should be: None when it is to be left out."""
        url = record.get("url")
        if url in self.drop:
            return None
        if url in self.point:
            record["duplicate_of"] = self.point[url]
        return record


def _replace(path: Path, write: Callable[[Any], int], mode: str = "w", **options: Any) -> int:
    """Write a corrected copy beside ``path``, sync it, and put it in its place."""
    temporary = path.with_name(path.name + ".fix")
    with temporary.open(mode, **options) as out:
        dropped = write(out)
        out.flush()
        os.fsync(out.fileno())
    os.replace(temporary, path)
    return dropped


def _jsonlines(path: Path, corrections: RunCorrections) -> int:
    def write(out) -> int:
        dropped = 0
        with path.open(encoding="utf-8") as lines:
            for line in lines:
                record = corrections.fixed(json.loads(line)) if line.strip() else None
                if record is None:
                    dropped += bool(line.strip())
                    continue
                out.write(json.dumps(record, ensure_ascii=False) + "\n")
        return dropped
    return _replace(path, write, encoding="utf-8")


def _json_items(path: Path, chunk: int = 1 << 20) -> Iterator[Any]:
    """The items of a JSON array file (Scrapy's ``json`` feed), one at a time: memory holds
    one item and a chunk of the file, never the file."""
    decoder = json.JSONDecoder()
    buffer, at, done = "", 0, False
    with path.open(encoding="utf-8") as source:
        while True:
            while at < len(buffer) and buffer[at] in " \t\r\n[,]":
                at += 1
            if at < len(buffer):
                try:
                    item, end = decoder.raw_decode(buffer, at)
                except json.JSONDecodeError:
                    if done:
                        raise
                else:
                    yield item
                    at = end
                    continue
            if done:
                return
            more = source.read(chunk)
            done = not more
            buffer, at = buffer[at:] + more, 0


def _json(path: Path, corrections: RunCorrections) -> int:
    """A record at a time, written back in the shape of Scrapy's JSON feed."""
    def write(out) -> int:
        dropped, first = 0, True
        out.write("[")
        for record in _json_items(path):
            if (record := corrections.fixed(record)) is None:
                dropped += 1
                continue
            out.write(("\n" if first else ",\n") + json.dumps(record, ensure_ascii=False))
            first = False
        out.write("\n]")
        return dropped
    return _replace(path, write, encoding="utf-8")


def _csv(path: Path, corrections: RunCorrections) -> int:
    """A row at a time."""
    with path.open("rb") as raw:
        bom = raw.read(3) == codecs.BOM_UTF8
    with path.open(encoding="utf-8-sig", newline="") as source:
        header = next(csv.reader(source), None)
    if not header or "url" not in header or "duplicate_of" not in header:
        return 0
    url, duplicate_of = header.index("url"), header.index("duplicate_of")

    def write(out) -> int:
        dropped = 0
        if bom:
            out.write("\ufeff")
        writer = csv.writer(out)  # the dialect Scrapy's CsvItemExporter writes
        with path.open(encoding="utf-8-sig", newline="") as source:
            rows = csv.reader(source)
            writer.writerow(next(rows))
            for row in rows:
                if row[url] in corrections.drop:
                    dropped += 1
                    continue
                if row[url] in corrections.point:
                    row[duplicate_of] = corrections.point[row[url]]
                writer.writerow(row)
        return dropped
    return _replace(path, write, encoding="utf-8", newline="")


def _parquet(path: Path, corrections: RunCorrections) -> int:
    """A row group at a time: the run's Parquet feed is never held whole in memory."""
    import pyarrow as pa
    import pyarrow.compute as pc
    import pyarrow.parquet as pq

    source = pq.ParquetFile(path)
    left_out = pa.array(sorted(corrections.drop), pa.string())

    def write(out) -> int:
        dropped = 0
        with pq.ParquetWriter(out, source.schema_arrow, compression="zstd") as writer:  # leaves ``out`` open
            for group in range(source.num_row_groups):
                table = source.read_row_group(group)
                kept = table.filter(pc.invert(pc.is_in(table.column("url"), value_set=left_out)))
                dropped += table.num_rows - kept.num_rows
                pointed = [corrections.point.get(url, original) for url, original in
                           zip(kept.column("url").to_pylist(), kept.column("duplicate_of").to_pylist())]
                index = kept.schema.get_field_index("duplicate_of")
                writer.write_table(kept.set_column(index, "duplicate_of", pa.array(pointed, pa.string())))
        return dropped
    return _replace(path, write, mode="wb")


_REWRITERS = {"jsonlines": _jsonlines, "jsonl": _jsonlines, "json": _json, "csv": _csv, "parquet": _parquet}
