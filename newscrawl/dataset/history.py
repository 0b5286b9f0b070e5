"""An article's history in a dataset: its versions, numbered from the data, and the rows that win.

A version of a URL is a change of its ``content_hash`` in capture order (``captured_at``,
else ``crawled_at``), whichever run, replay, worker or machine captured it: the same inputs
give the same versions, and a replay that numbered its own from 1 is renumbered. A URL any
row calls a copy (``duplicate_of``), or that a later run's report calls one, is a copy.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import pyarrow as pa
import pyarrow.compute as pc

from newscrawl.dataset.scan import KEY_SCHEMA, SEQ

if TYPE_CHECKING:
    from newscrawl.dataset.build import Options

WON = "_won"  # in the index: the version is a row of the dataset (else an earlier one, for the numbering)
STORED = "_stored"  # the version number a winner's row carries where the build reads it
INDEX_SCHEMA = pa.schema([*KEY_SCHEMA, pa.field(WON, pa.bool_())])


@dataclass
class Choice:
    """What a build decides: every version once (the index), the rows of the dataset, and
    how many input rows carried another version number than their capture order gives."""

    history: pa.Table
    winners: pa.Table
    renumbered: int = 0


def choose(keys: pa.Table, options: Options, copies: dict[str, str] | None = None) -> Choice:
    """Versions from content and capture time, and the winning rows: per url its latest
    version (or every version), without copies if asked. Rows without a url are left out.

    A url's rows in capture order (ties: the older input first); each change of
    ``content_hash`` starts a version, numbered from 1, whose row is its first capture and
    whose ``previous_hash`` is the version before's hash. A url any row calls a copy is a
    copy, and so is one a later run's report calls a copy (``copies``).
    """
    if keys.column("url").null_count:
        keys = keys.filter(pc.is_valid(keys.column("url")))
    moment = pc.coalesce(keys.column("captured_at"), keys.column("crawled_at"))
    order = pc.sort_indices(keys.append_column("_moment", moment),
                            [("url", "ascending"), ("_moment", "ascending"), (SEQ, "ascending")])
    url_start = _starts(keys.column("url").take(order))
    version_start = pc.or_(url_start, _starts(keys.column("content_hash").take(order)))
    group = pc.cumulative_sum(pc.cast(version_start, pa.int64()))
    first_group = pc.fill_null_forward(pc.if_else(url_start, pc.subtract(group, 1), pa.scalar(None, pa.int64())))
    derived = pc.cast(pc.subtract(group, first_group), pa.int32())
    given = keys.column("version").take(order)
    new_row = pc.greater_equal(keys.column(SEQ).take(order), 0)
    renumbered = pc.sum(pc.and_(new_row, pc.not_equal(given, derived))).as_py() or 0

    history = keys.take(order.filter(version_start))
    history = history.set_column(history.schema.get_field_index("version"), "version", derived.filter(version_start))
    history = _copies_by_url(history, copies or {})
    starts = url_start.filter(version_start)
    hashes = history.column("content_hash").combine_chunks()
    previous = pc.if_else(starts, pa.scalar(None, pa.string()),
                          pa.concat_arrays([pa.array([None], pa.string()), hashes[:-1]]) if len(hashes) else hashes)
    won = pa.array([True] * history.num_rows, pa.bool_()) if options.all_versions else \
        pa.concat_arrays([starts[1:], pa.array([True], pa.bool_())]) if len(starts) else starts
    if options.drop_copies:
        won = pc.and_(won, pc.invert(history.column("copy")))
    winners = history.append_column("previous_hash", previous).append_column(STORED, given.filter(version_start))
    winners = winners.filter(won)
    return Choice(history.append_column(WON, won), winners, renumbered)


def _copies_by_url(history: pa.Table, said: dict[str, str]) -> pa.Table:
    """Every version of a url that any of its rows, or a later run, calls a copy is a copy."""
    marked = history.filter(history.column("copy")).column("url").combine_chunks()
    copies = pa.concat_arrays([marked, pa.array(list(said), pa.string())])
    return history.set_column(history.schema.get_field_index("copy"), "copy",
                              pc.is_in(history.column("url"), value_set=copies))


def _starts(column: pa.ChunkedArray) -> pa.Array:
    """True where a sorted column's value differs from the row before (and for row 0)."""
    values = column.combine_chunks()
    if len(values) == 0:
        return pa.array([], pa.bool_())
    changed = pc.fill_null(pc.not_equal(values[1:], values[:-1]), True)
    return pa.concat_arrays([pa.array([True]), changed])
