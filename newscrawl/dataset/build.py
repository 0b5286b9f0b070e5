"""Build (or bring up to date) a dataset: the versions, the winners, the partitions they touch, the swap.

An article's rows are its versions, in any number of runs' files: live runs, replays, the
runs of other workers and machines. The build numbers the versions itself, from the data:
a version of a URL is a change of its ``content_hash`` in capture order (``captured_at``,
else ``crawled_at``), so ``version`` and ``previous_hash`` are the same however the rows
were crawled (a replay with a fresh state numbers from 1: its rows are renumbered, and the
build says how many). The latest version wins; with ``all_versions`` every version is
kept, once each (its first capture). A rebuild after more runs reads only the new files:
the versions are derived again from the new rows and the last build's history of versions
(its index), and only the partitions where a row comes, goes or is renumbered are written
again; the others are hard links to the last build's files, untouched.
"""
from __future__ import annotations

import logging
import os
from dataclasses import dataclass, replace
from datetime import datetime, timezone
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.feather as feather
import pyarrow.parquet as pq

from newscrawl.dataset.card import SHARE_FILE, write_card, write_share
from newscrawl.dataset.folder import ARTICLES, INDEX, MANIFEST, BuildFolder
from newscrawl.dataset.inputs import (DatasetError, Manifest, copies_said, input_files, resolved, signature,
                                      what_changed)
from newscrawl.dataset.history import INDEX_SCHEMA, STORED, WON, choose
from newscrawl.dataset.scan import KEY_SCHEMA, PART, SEQ, partition_of, read_part, runs_of, scan
from newscrawl.output.columns import LISTS, TYPED_SCHEMA

logger = logging.getLogger(__name__)
DATA_FILE = "part-0.parquet"
ROW_GROUP = 10_000
# A partition file's columns: every typed column, and the month of its folder. Both site
# and month are inside the files, the folders (``<site>/<month>``) being plain names, not
# Hive's ``key=value``: Hugging Face datasets ignores folder keys, and pandas refuses a key
# that is both a folder's and a column's. So every reader gets the same columns.
FILE_SCHEMA = pa.schema([*TYPED_SCHEMA, pa.field("month", pa.string())])


LAYOUT = 4  # of the dataset's folders and index; a dataset of another layout is built again in full


@dataclass
class Options:
    all_versions: bool = False
    drop_copies: bool = False
    share: bool = False
    full: bool = False
    purpose: str = "non-commercial research and teaching"

    def identity(self) -> dict[str, bool | int]:
        """The options a build's content depends on: changing one means a full build. So
        does a new layout (3: ``<site>/<month>``, both columns in the files too; 4: an index
        of every version, the versions derived by the build)."""
        return {"all_versions": self.all_versions, "drop_copies": self.drop_copies, "layout": LAYOUT}


@dataclass
class Outcome:
    articles: int
    partitions: int
    rewritten: int
    kept: int
    files_read: int
    full_reason: str | None
    shared_again: bool = False  # urls.csv written again without --share: the last build had one
    unreadable_dates: int = 0  # dates of the inputs read that are no instant of 1900-2100: null
    renumbered: int = 0  # rows read whose version number was not their capture order's


def build(sources: list[str], dest: Path, options: Options) -> Outcome:
    """Build ``dest`` from the JSONL files in ``sources``, aside, then swap it in whole."""
    files = input_files(sources)
    with BuildFolder(dest) as folder:
        old = Manifest.read(dest / MANIFEST) if folder.previous is not None else None
        # A dataset once shared keeps its list up to date (a rebuild never drops it unsaid).
        shared_again = not options.share and (dest / SHARE_FILE).is_file()
        if shared_again:
            options = replace(options, share=True)
        new_files, why_full = what_changed(old, files, options.identity())
        if options.full and old is not None:
            new_files, why_full = files, "--full"
        if why_full:
            old = None
        scanned = scan(new_files, folder.work / "spill")
        old_keys = _old_keys(dest) if old is not None else INDEX_SCHEMA.empty_table()
        said = copies_said(new_files)
        copies = resolved({**(old.copies if old else {}), **said})
        choice = choose(pa.concat_tables([old_keys.select(KEY_SCHEMA.names), scanned.key_table()])
                        .unify_dictionaries(), options, copies)
        scanned.keys.clear()
        winners = choice.winners
        touched = _touched(winners, old_keys, said)
        manifest = Manifest(options.identity(), {str(f): signature(f) for f in files}, {},
                            renumbered=(old.renumbered if old else 0) + choice.renumbered, copies=copies)
        kept = sorted(set(old.partitions) - touched) if old else []
        for name in kept:
            _keep(dest, folder.building, name)
            manifest.partitions[name] = old.partitions[name]
        for name, rows in _by_partition(winners, touched):
            if summary := _write_partition(name, dest if old else None, folder.building, scanned, rows, copies):
                manifest.partitions[name] = summary
        _finish(folder.building, manifest, choice.history, options)
        folder.commit()
    return Outcome(winners.num_rows, len(manifest.partitions), len(manifest.partitions) - len(kept), len(kept),
                   len(new_files), why_full, shared_again, scanned.unreadable_dates, choice.renumbered)


def _old_keys(dest: Path) -> pa.Table:
    """The last build's history of versions, with negative sequence numbers (older than any
    new row); ``version`` is the number its rows carry in the dataset's files."""
    table = feather.read_table(dest / INDEX)
    seq = pa.array(range(-table.num_rows, 0), pa.int64())
    return table.set_column(table.schema.get_field_index(SEQ), SEQ, seq).select(INDEX_SCHEMA.names).cast(INDEX_SCHEMA)


def _touched(winners: pa.Table, old_keys: pa.Table, said: dict[str, str]) -> set[str]:
    """Partitions where a row comes (a new winner), goes (an old winner that lost) or
    changes (an old winner renumbered, or that a new run's report calls a copy)."""
    new = winners.filter(pc.greater_equal(winners.column(SEQ), 0))
    touched = set(pc.unique(new.column(PART)).to_pylist())
    old_won = old_keys.filter(old_keys.column(WON))
    lost = old_won.filter(pc.invert(pc.is_in(old_won.column(SEQ), value_set=winners.column(SEQ).combine_chunks())))
    touched |= set(pc.unique(lost.column(PART)).to_pylist())
    moved = winners.filter(pc.and_(pc.less(winners.column(SEQ), 0),
                                   pc.not_equal(winners.column("version"), winners.column(STORED))))
    touched |= set(pc.unique(moved.column(PART)).to_pylist())
    marked = winners.filter(pc.is_in(winners.column("url"), value_set=pa.array(list(said), pa.string())))
    touched |= set(pc.unique(marked.column(PART)).to_pylist())
    return touched


def _by_partition(winners: pa.Table, names: set[str]):
    """(name, its winners) for each partition named, in name order, sorting the winners
    once instead of filtering them once a partition."""
    parts = winners.column(PART).cast(pa.string())
    order = pc.sort_indices(parts)
    ordered = parts.take(order)
    start = 0
    for name, count in runs_of(ordered):
        if name in names:
            yield name, winners.take(order.slice(start, count))
        start += count
    for name in sorted(names - set(pc.unique(parts).to_pylist())):
        yield name, winners.slice(0, 0)  # every row it held lost: the partition goes


def _keep(dest: Path, building: Path, name: str) -> None:
    """An untouched partition: the last build's file, hard-linked (not copied, not rewritten)."""
    source, target = dest / ARTICLES / name / DATA_FILE, building / ARTICLES / name / DATA_FILE
    target.parent.mkdir(parents=True, exist_ok=True)
    try:
        os.link(source, target)
    except OSError as error:
        raise DatasetError(f"{source}: cannot be kept ({error.strerror}): rebuild in full with --full") from None


def _write_partition(name: str, dest: Path | None, building: Path, scanned, in_part: pa.Table,
                     copies: dict[str, str]) -> dict | None:
    """One partition's file from the last build's rows that still win and the new winners
    (``in_part``, the partition's winners), each with the version and previous hash the
    build derived and, for a copy a later run found, ``duplicate_of``; its summary for the
    manifest, or None when no row is left."""
    new = in_part.filter(pc.greater_equal(in_part.column(SEQ), 0))
    old = in_part.filter(pc.less(in_part.column(SEQ), 0))
    old_kept = _version_keys(old, "url", STORED)
    writer, summary = None, _Summary()
    target = building / ARTICLES / name / DATA_FILE
    old_file = dest / ARTICLES / name / DATA_FILE if dest is not None else None

    def pieces():
        if old_file is not None and old_file.exists():
            for batch in pq.ParquetFile(old_file).iter_batches(batch_size=ROW_GROUP):
                yield _marked(_numbered(pa.Table.from_batches([batch]), pc.index_in(_version_keys(batch),
                                                                                    value_set=old_kept), old), copies)
        month = partition_of(name)[1]
        new_seqs = new.column(SEQ).combine_chunks()
        for run in scanned.runs:
            if (table := read_part(run, name)) is not None:
                table = _numbered(table, pc.index_in(table.column(SEQ), value_set=new_seqs), new).drop_columns([SEQ])
                table = _marked(table, copies)
                yield table.append_column("month", pa.array([month] * table.num_rows, pa.string()))

    pending: list[pa.Table] = []
    for piece in pieces():
        if piece.num_rows:
            # Cast: a list read back from Parquet names its items "element", ours "item".
            pending.append(pa.table(piece).cast(FILE_SCHEMA))
        if sum(p.num_rows for p in pending) >= ROW_GROUP:
            writer = _flush(writer, target, pending, summary)
    if pending:
        writer = _flush(writer, target, pending, summary)
    if writer is None:
        return None
    writer.close()
    return summary.as_dict()


def _numbered(rows: pa.Table, at: pa.Array, winners: pa.Table) -> pa.Table:
    """The rows that won (``at``: each row's index among ``winners``, null for a row that
    lost), with the version and previous hash the build derived."""
    won = pc.is_valid(at)
    rows, at = rows.filter(won), at.filter(won)
    for column in ("version", "previous_hash"):
        rows = rows.set_column(rows.schema.get_field_index(column), column,
                               winners.column(column).take(at).cast(rows.schema.field(column).type))
    return rows


def _marked(rows: pa.Table, copies: dict[str, str]) -> pa.Table:
    """``rows`` with ``duplicate_of`` set where a later run found the copy's original."""
    if not copies or not rows.num_rows:
        return rows
    at = pc.index_in(rows.column("url"), value_set=pa.array(list(copies), pa.string()))
    found = pa.array(list(copies.values()), pa.string()).take(at)
    column = rows.schema.get_field_index("duplicate_of")
    return rows.set_column(column, "duplicate_of", pc.coalesce(rows.column(column), found))


def _version_keys(table: pa.Table | pa.RecordBatch, url: str = "url", version: str = "version") -> pa.Array:
    """url + version, one string a row (the identity of a row in the dataset's files)."""
    keys = pc.binary_join_element_wise(table.column(url), pc.cast(table.column(version), pa.string()), "\x1f")
    return keys.combine_chunks() if isinstance(keys, pa.ChunkedArray) else keys


def _flush(writer, target: Path, pending: list[pa.Table], summary: "_Summary"):
    table = pa.concat_tables(pending)
    pending.clear()
    if writer is None:
        target.parent.mkdir(parents=True, exist_ok=True)
        writer = pq.ParquetWriter(target, table.schema, compression="zstd")
    writer.write_table(table, row_group_size=ROW_GROUP)
    summary.add(table)
    return writer


class _Summary:
    """A partition's rows, how many fill each field, and its publication date range."""

    def __init__(self) -> None:
        self.rows, self.filled, self.first, self.last = 0, {}, None, None

    def add(self, table: pa.Table) -> None:
        self.rows += table.num_rows
        for name in table.column_names:
            column = table.column(name)
            if name in LISTS:
                filled = pc.sum(pc.greater(pc.fill_null(pc.list_value_length(column), 0), 0)).as_py() or 0
            else:
                filled = table.num_rows - column.null_count
            self.filled[name] = self.filled.get(name, 0) + filled
        dates = pc.min_max(table.column("published_at"))
        if (first := dates["min"].as_py()) is not None:  # UTC ISO texts sort as instants
            self.first = min(filter(None, [self.first, first.isoformat()]))
            self.last = max(filter(None, [self.last, dates["max"].as_py().isoformat()]))

    def as_dict(self) -> dict:
        return {"rows": self.rows, "filled": self.filled, "first": self.first, "last": self.last}


def _finish(building: Path, manifest: Manifest, history: pa.Table, options: Options) -> None:
    """The index (every version), the manifest, the card and (with --share) the URL list."""
    (building / INDEX).parent.mkdir(parents=True, exist_ok=True)
    feather.write_feather(history.select(INDEX_SCHEMA.names), building / INDEX, compression="zstd")
    manifest.built_at = datetime.now(timezone.utc).replace(microsecond=0).isoformat()
    manifest.write(building / MANIFEST)
    write_card(building, manifest, options)
    if options.share:
        write_share(building)
