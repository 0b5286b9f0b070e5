"""CSV for spreadsheets: a byte-order mark, every column in schema order, formulas neutralised."""
from __future__ import annotations

from typing import IO, Any

from scrapy.crawler import Crawler
from scrapy.exporters import CsvItemExporter

from newscrawl.items import ARTICLE_FIELDS
from newscrawl.text.normalize import neutralise


class SafeCsvItemExporter(CsvItemExporter):
    """CSV for spreadsheets: a UTF-8 byte-order mark, every Article column in schema order
    (a header even when nothing is exported), lists joined, formulas neutralised.

    The BOM (``NEWSCRAWL_CSV_BOM``, on by default) is how LibreOffice and Excel recognise
    UTF-8: without it they show "â€œ" for "“".
    """

    def __init__(self, file: IO[bytes], *, list_separator: str = " | ", bom: bool = True, **kwargs: Any) -> None:
        kwargs.setdefault("fields_to_export", list(ARTICLE_FIELDS))
        super().__init__(file, join_multivalued=list_separator, **kwargs)
        self.bom = bom and self.encoding.replace("-", "").lower() == "utf8"

    @classmethod
    def from_crawler(cls, crawler: Crawler, file: IO[bytes], **kwargs: Any) -> "SafeCsvItemExporter":
        return cls(file, list_separator=crawler.settings.get("NEWSCRAWL_CSV_LIST_SEPARATOR"),
                   bom=crawler.settings.getbool("NEWSCRAWL_CSV_BOM"), **kwargs)

    def start_exporting(self) -> None:
        if self.bom:
            self.stream.write("\ufeff")

    def finish_exporting(self) -> None:
        if self._headers_not_written:  # nothing exported: still a file a spreadsheet can open
            self._headers_not_written = False
            self.csv_writer.writerow(list(self.fields_to_export))
        super().finish_exporting()

    def serialize_field(self, field: Any, name: str, value: Any) -> Any:
        return neutralise(super().serialize_field(field, name, value))
