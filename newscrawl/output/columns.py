"""Articles as typed columns (Apache Arrow): what the Parquet feed and the dataset write.

JSONL keeps dates as ISO 8601 text with their offset. Columnar tools want timestamps: a
date becomes a UTC timestamp (``published_at``) plus its offset as text
(``published_at_offset``, ``+07:00``), so both the instant and the local clock time the
reader saw survive. Lists stay lists, counts are integers, flags booleans.
"""
from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import Any, Iterable

import pyarrow as pa
import pyarrow.compute as pc

from newscrawl.items import ARTICLE_FIELDS

# Dates kept with their offset; crawled_at and captured_at are UTC always (offset +00:00).
ZONED = ("published_at", "updated_at")
UTC_TIMES = ("crawled_at", "captured_at")
LISTS = ("authors", "tags", "related_urls")
INTEGERS = ("page_count", "word_count", "version")
BOOLEANS = ("complete", "free_access")
# Microseconds: what Parquet readers everywhere (Spark, BigQuery, DuckDB) take as a timestamp;
# Parquet has no unit of whole seconds.
TIMESTAMP = pa.timestamp("us", tz="UTC")


def _json_type(name: str) -> pa.DataType:
    if name in LISTS:
        return pa.list_(pa.string())
    if name in INTEGERS:
        return pa.int64()
    if name in BOOLEANS:
        return pa.bool_()
    return pa.string()


def _typed_fields() -> list[pa.Field]:
    fields = []
    for name in ARTICLE_FIELDS:
        if name in ZONED:
            fields += [pa.field(name, TIMESTAMP), pa.field(f"{name}_offset", pa.string())]
        elif name in UTC_TIMES:
            fields.append(pa.field(name, TIMESTAMP))
        elif name in INTEGERS:
            fields.append(pa.field(name, pa.int32()))
        else:
            fields.append(pa.field(name, _json_type(name)))
    return fields


# A JSONL line as read (every key of the Article; unknown keys ignored).
JSON_SCHEMA = pa.schema([pa.field(name, _json_type(name)) for name in ARTICLE_FIELDS])
# The typed columns, in Article order with each zoned date's offset after it.
TYPED_SCHEMA = pa.schema(_typed_fields())
_OFFSET = r"(?P<offset>(?:[+-]\d\d:\d\d|Z))$"


def typed(batch: pa.RecordBatch | pa.Table) -> pa.Table:
    """Articles read as JSON (JSON_SCHEMA) in typed columns (TYPED_SCHEMA).

    A date that is not ISO 8601 with an offset, or whose year is outside 1900-2100 (a CMS
    default of year 1, a 9999 placeholder: the range the crawl keeps), cannot become an
    instant: it comes out null, its offset too (the crawl's output never holds one; older
    or foreign JSONL may).
    """
    readable = {name: _readable(batch.column(name)) for name in (*ZONED, *UTC_TIMES)}  # once a column
    columns = []
    for field in TYPED_SCHEMA:
        name = field.name
        if name.endswith("_offset") and name[: -len("_offset")] in ZONED:
            columns.append(_offset_of(readable[name[: -len("_offset")]]))
        elif field.type == TIMESTAMP:
            columns.append(pc.cast(readable[name], TIMESTAMP))
        else:
            columns.append(pc.cast(batch.column(name), field.type))
    return pa.Table.from_arrays(columns, schema=TYPED_SCHEMA)


def _readable(dates: pa.Array | pa.ChunkedArray) -> pa.Array:
    """The dates that are ISO 8601 with an offset, of a year from 1900 to 2100; the others null."""
    valid = pc.match_substring_regex(
        dates, r"^(19\d\d|20\d\d|2100)-\d\d-\d\dT\d\d:\d\d(:\d\d(\.\d{1,6})?)?([+-]\d\d:\d\d|Z)$")
    return pc.if_else(valid, dates, pa.scalar(None, pa.string()))


def _offset_of(dates: pa.Array | pa.ChunkedArray) -> pa.Array:
    """The offset each readable date was written with (``+07:00``; ``Z`` as ``+00:00``), else null."""
    found = pc.struct_field(pc.extract_regex(dates, _OFFSET), [0])
    return pc.replace_substring(found, "Z", "+00:00")


def unreadable_dates(batch: pa.RecordBatch | pa.Table, table: pa.Table) -> int:
    """Dates given in ``batch`` that ``typed`` made null in ``table`` (not readable)."""
    return sum(table.column(name).null_count - batch.column(name).null_count for name in (*ZONED, *UTC_TIMES))


def table_of(items: Iterable[dict[str, Any]]) -> pa.Table:
    """Typed columns of Article dicts (the Parquet feed's row groups)."""
    rows = [{name: item.get(name) for name in ARTICLE_FIELDS} for item in items]
    return typed(pa.Table.from_pylist(rows, schema=JSON_SCHEMA))


def iso_dates(row: dict[str, Any]) -> dict[str, Any]:
    """A typed row (as pyarrow's ``to_pylist`` gives it) back in the JSONL's form:
    each zoned date in its own offset, ``crawled_at`` and ``captured_at`` in UTC.

    >>> from datetime import datetime, timezone
    >>> iso_dates({"published_at": datetime(2020, 5, 3, 21, 25, 13, tzinfo=timezone.utc),
    ...            "published_at_offset": "+07:00", "updated_at": None, "updated_at_offset": None,
    ...            "crawled_at": datetime(2026, 12, 6, 18, 0, tzinfo=timezone.utc)})
    {'published_at': '2020-05-04T04:25:13+07:00', 'updated_at': None, 'crawled_at': '2026-12-06T18:00:00+00:00'}
    """
    out = dict(row)
    for name in ZONED:
        moment, offset = out.get(name), out.pop(f"{name}_offset", None)
        if isinstance(moment, datetime) and offset:
            sign = -1 if offset[0] == "-" else 1
            zone = timezone(sign * timedelta(hours=int(offset[1:3]), minutes=int(offset[4:6])))
            out[name] = moment.astimezone(zone).isoformat()
    for name in UTC_TIMES:
        if isinstance(out.get(name), datetime):
            out[name] = out[name].astimezone(timezone.utc).isoformat()
    return out
