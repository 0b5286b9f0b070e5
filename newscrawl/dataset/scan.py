"""The new JSONL files, read once, into spill runs sorted by partition and a key table.

Memory stays bounded whatever the input's size: the files are parsed a block at a time
(pyarrow's JSON reader, in C++), typed, and gathered into chunks of about
``chunk_bytes``; each chunk is sorted by partition and written to a spill file (Arrow IPC,
lz4) with one record batch per partition. What stays in memory is one chunk and the key
table (url, version, crawl and capture times, content hash, a sequence number, partition,
copy or not): some 120 bytes an article.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import quote, unquote
from typing import Iterator

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.ipc as ipc
import pyarrow.json as pj

from newscrawl.dataset.inputs import DatasetError
from newscrawl.output.columns import JSON_SCHEMA, TIMESTAMP, typed, unreadable_dates

SEQ, PART = "_seq", "_part"
NULL_PART = "unknown-site"  # the folder of rows without a site (older or foreign JSONL)
# A row without a publication date: a value every reader takes (Hive's null folder made
# pandas refuse the whole dataset: "Cannot yet unify dictionaries with nulls").
UNDATED = "undated"
# Partition names dictionary-encoded: four bytes a row, not forty, in a table of 10^6 rows.
# ``version`` is the number a row carries (its input's, or the last build's for its rows);
# the build derives the true one from ``content_hash`` and the capture time.
KEY_SCHEMA = pa.schema([("url", pa.string()), ("version", pa.int32()), ("crawled_at", TIMESTAMP),
                        (SEQ, pa.int64()), (PART, pa.dictionary(pa.int32(), pa.string())), ("copy", pa.bool_()),
                        ("content_hash", pa.string()), ("captured_at", TIMESTAMP)])


@dataclass
class SpillRun:
    """One sorted chunk on disk: which record batch holds which partition."""

    path: Path
    batches: dict[str, int]


@dataclass
class Scan:
    runs: list[SpillRun] = field(default_factory=list)
    keys: list[pa.Table] = field(default_factory=list)
    rows: int = 0
    unreadable_dates: int = 0  # dates given that are no instant of 1900-2100: set to null

    def key_table(self) -> pa.Table:
        return pa.concat_tables(self.keys) if self.keys else KEY_SCHEMA.empty_table()


def scan(files: list[Path], spill: Path, chunk_bytes: int = 32 << 20, block_bytes: int = 8 << 20) -> Scan:
    """Read ``files`` into spill runs under ``spill``; DatasetError names a file that is
    not JSON Lines of articles."""
    spill.mkdir(parents=True, exist_ok=True)
    result, chunk, size = Scan(), [], 0
    for path in files:
        for table, unreadable in _typed_batches(path, block_bytes):
            result.unreadable_dates += unreadable
            table = _with_keys(table, result.rows)
            result.rows += table.num_rows
            keys = table.select(["url", "version", "crawled_at", SEQ]).append_column(
                PART, pc.dictionary_encode(table.column(PART)))
            keys = keys.append_column("copy", pc.is_valid(table.column("duplicate_of")))
            result.keys.append(keys.append_column("content_hash", table.column("content_hash"))
                               .append_column("captured_at", table.column("captured_at")))
            chunk.append(table)
            size += table.nbytes
            if size >= chunk_bytes:
                result.runs.append(_spill(chunk, spill / f"run-{len(result.runs):05d}.arrow"))
                chunk, size = [], 0
    if chunk:
        result.runs.append(_spill(chunk, spill / f"run-{len(result.runs):05d}.arrow"))
    return result


def _typed_batches(path: Path, block_bytes: int) -> Iterator[tuple[pa.Table, int]]:
    """The file's articles in typed columns, a block at a time, each with how many of its
    dates could not be read (columns.typed sets them to null)."""
    options = pj.ParseOptions(explicit_schema=JSON_SCHEMA, unexpected_field_behavior="ignore")
    try:
        block = _block_size(path, block_bytes)
        reader = pj.open_json(path, read_options=pj.ReadOptions(block_size=block), parse_options=options)
        for batch in reader:
            table = typed(batch)
            yield table, unreadable_dates(batch, table)
    except (pa.ArrowInvalid, pa.ArrowTypeError) as error:
        raise DatasetError(f"{path}: not JSON Lines of articles: {str(error).splitlines()[0]}") from None
    except OSError as error:
        raise DatasetError(f"{path}: cannot be read: {error.strerror or error}") from None


def _block_size(path: Path, block_bytes: int) -> int:
    """A block that holds the file's longest line: the JSON reader cannot parse a line
    across two blocks. Run files are smaller than one block; only a larger file is read
    once to measure its lines (a 20 MB article is rare, not impossible)."""
    if path.stat().st_size <= block_bytes:
        return block_bytes
    with path.open("rb") as lines:
        longest = max((len(line) for line in lines), default=0)
    return max(block_bytes, 1 << (2 * longest).bit_length())


def _with_keys(table: pa.Table, first_seq: int) -> pa.Table:
    """The table with its rows' sequence numbers and partition names (site and the
    month of publication in the article's own time zone)."""
    seq = pa.array(range(first_seq, first_seq + table.num_rows), pa.int64())
    return table.append_column(SEQ, seq).append_column(PART, partition_names(table))


def partition_names(table: pa.Table) -> pa.Array:
    """``<host>/<YYYY-MM>`` for each row: the folders of its partition (site, then month
    of publication; the month is local: a 23:30 WIB article of 31 May is a May article),
    ``undated`` when the date is unknown."""
    local = pc.add(table.column("published_at"), _offset_seconds(table.column("published_at_offset")))
    month = pc.strftime(pc.cast(local, pa.timestamp("s")), format="%Y-%m")
    site = pc.fill_null(_folder_safe(table.column("site")), NULL_PART)
    month = pc.fill_null(month, UNDATED)
    return pc.binary_join_element_wise(site, month, "/")


def partition_of(name: str) -> tuple[str, str]:
    """(site, month) of a partition ``partition_names`` named (its site folder decoded).

    >>> partition_of("%2E.%2F..%2Fx/2026-01"), partition_of("www.tribunnews.com/undated")
    (('../../x', '2026-01'), ('www.tribunnews.com', 'undated'))
    """
    folder, month = name.rsplit("/", 1)
    return unquote(folder), month


def _folder_safe(sites: pa.ChunkedArray) -> pa.Array:
    """Each site as one folder name, never a path: URI-escaped (a ``/`` becomes ``%2F``;
    the site itself is a column of the files). A record's ``site`` of ``../../x`` would
    otherwise put a file outside the dataset; a leading ``.`` or ``_`` is escaped too, or
    pyarrow, pandas and polars would pass over the folder as hidden.

    >>> _folder_safe(pa.chunked_array([["www.tribunnews.com", "127.0.0.1:8000", "../../x", "_a", "", None]])).to_pylist()
    ['www.tribunnews.com', '127.0.0.1:8000', '%2E.%2F..%2Fx', '%5Fa', None, None]
    """
    encoded = pc.dictionary_encode(sites).combine_chunks()
    names = [_unhidden(quote(v, safe=".-_:~")) if v else None for v in encoded.dictionary.to_pylist()]
    return pa.DictionaryArray.from_arrays(encoded.indices, pa.array(names, pa.string())).cast(pa.string())


def _unhidden(name: str) -> str:
    return f"%{ord(name[0]):02X}{name[1:]}" if name[:1] in (".", "_") else name


def _offset_seconds(offsets: pa.ChunkedArray) -> pa.Array:
    sign = pc.if_else(pc.starts_with(offsets, "-"), -1, 1)
    hours = pc.cast(pc.utf8_slice_codeunits(offsets, 1, 3), pa.int64())
    minutes = pc.cast(pc.utf8_slice_codeunits(offsets, 4, 6), pa.int64())
    seconds = pc.multiply(sign, pc.add(pc.multiply(hours, 3600), pc.multiply(minutes, 60)))
    return pc.cast(pc.fill_null(seconds, 0), pa.duration("s"))


def _spill(chunk: list[pa.Table], path: Path) -> SpillRun:
    table = pa.concat_tables(chunk)
    table = table.take(pc.sort_indices(table, [(PART, "ascending")]))
    parts = table.column(PART)
    run = SpillRun(path, {})
    data = table.drop_columns([PART])
    options = ipc.IpcWriteOptions(compression="lz4")
    with ipc.new_file(pa.OSFile(str(path), "wb"), data.schema, options=options) as writer:
        start = 0
        for name, count in runs_of(parts):
            # One record batch a partition: its index in the file is its place in the run.
            run.batches[name] = len(run.batches)
            writer.write_batch(data.slice(start, count).combine_chunks().to_batches()[0])
            start += count
    return run


def runs_of(sorted_names: pa.ChunkedArray) -> Iterator[tuple[str, int]]:
    """(name, count) of each run of equal names in a sorted column."""
    for entry in pc.value_counts(sorted_names).to_pylist():  # in first-seen, here sorted, order
        yield entry["values"], entry["counts"]


def read_part(run: SpillRun, name: str) -> pa.Table | None:
    """The rows of partition ``name`` in a spill run, or None. Read, not memory-mapped:
    the pages of a mapped file would stay counted in the process's memory."""
    if name not in run.batches:
        return None
    with pa.OSFile(str(run.path)) as source:
        batch = ipc.open_file(source).get_batch(run.batches[name])
        return pa.Table.from_batches([batch])
