"""Parquet for ``-O articles.parquet``: typed columns (newscrawl/output/columns.py), zstd,
written a row group at a time so a long crawl never holds its articles in memory.

The file goes through the same storage as every feed (newscrawl/output/feeds.py): written
as ``.part`` and renamed with the run's other files, all or none. A Parquet file cannot be
appended to, so ``-o x.parquet`` is refused before the crawl starts (newscrawl/commands/crawl.py).
"""
from __future__ import annotations

import io
from typing import IO, Any

from itemadapter import ItemAdapter
from scrapy.crawler import Crawler
from scrapy.exporters import BaseItemExporter

FORMAT = "parquet"


class ParquetItemExporter(BaseItemExporter):
    """Articles as Parquet, ``row_group`` articles per row group (NEWSCRAWL_PARQUET_ROW_GROUP)."""

    def __init__(self, file: IO[bytes], *, row_group: int = 1000, **kwargs: Any) -> None:
        super().__init__(dont_fail=True, **kwargs)
        self.file = file
        self.row_group = max(1, row_group)
        self.rows: list[dict[str, Any]] = []
        self.writer = None

    @classmethod
    def from_crawler(cls, crawler: Crawler, file: IO[bytes], **kwargs: Any) -> "ParquetItemExporter":
        return cls(file, row_group=crawler.settings.getint("NEWSCRAWL_PARQUET_ROW_GROUP"), **kwargs)

    def start_exporting(self) -> None:
        # Imported here: a crawl that writes no Parquet never loads pyarrow.
        import pyarrow.parquet as pq

        from newscrawl.output.columns import TYPED_SCHEMA

        # Opened at once: a run that exports nothing still leaves a valid, empty file.
        self.writer = pq.ParquetWriter(_Unclosed(self.file), TYPED_SCHEMA, compression="zstd")

    def export_item(self, item: Any) -> None:
        self.rows.append(ItemAdapter(item).asdict())
        if len(self.rows) >= self.row_group:
            self._write_rows()

    def finish_exporting(self) -> None:
        self._write_rows()
        self.writer.close()

    def _write_rows(self) -> None:
        from newscrawl.output.columns import table_of

        if self.rows:
            self.writer.write_table(table_of(self.rows))
            self.rows = []


class _Unclosed(io.RawIOBase):
    """The feed's file as pyarrow's sink: closing the Parquet writer must not close the
    file, which the feed storage still flushes, syncs and renames."""

    def __init__(self, file: IO[bytes]) -> None:
        super().__init__()
        self.file = file

    def writable(self) -> bool:
        return True

    def write(self, data: bytes) -> int:
        self.file.write(data)
        return len(data)

    def close(self) -> None:
        self.file.flush()
        super().close()
