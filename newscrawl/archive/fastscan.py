"""Reading an archive at disk speed: FastWARC's iterator (C++) for the common case, an
intact file, warcio (the reference, newscrawl/archive/scanner.py) for the rest.

A Common Crawl file of 1 GB holds 40,000 records and a few dozen Tribun pages: its cost is
reading the records, not extracting the pages. FastWARC reads records 3x faster than warcio.
The fast pass reads one source (or a worker's share of it) and finds the same captures at
the same offsets; at the first doubt (a record FastWARC cannot read, a payload shorter than
its length, a response that is not HTTP, headers of 64 KB or more, a file that ends inside
its last record) it gives up and the source is read again by warcio, which names the damage
exactly as before. Without FastWARC installed, warcio reads everything.
"""
from __future__ import annotations

from typing import Any, BinaryIO

from newscrawl.archive.records import HEADER_LIMIT, is_newscrawl_warcinfo

CHUNK = 1 << 16


class Doubt(Exception):
    """Something the fast pass does not judge: warcio reads the source again."""


def fast_scan(part: Any, number: int, stream: BinaryIO, start: int, end: int | None) -> int | None:
    """Index the records starting in ``[start, end)`` of source ``number`` into ``part`` (a
    Scanner of its own, absorbed when this succeeds); returns where the last record starts,
    or None when FastWARC is missing or in doubt. ``start`` is a record's."""
    try:
        from fastwarc.warc import ArchiveIterator, WarcRecordType
    except ImportError:
        return None
    last_start = start
    stream.seek(start)
    ours = False
    try:
        for record in ArchiveIterator(stream, parse_http=False, max_header_len=HEADER_LIMIT):
            offset = record.stream_pos
            if end is not None and offset >= end:
                break
            part.check_stop()
            part.counts.records += 1
            last_start = offset
            kind = record.record_type
            if kind == WarcRecordType.warcinfo:
                ours = is_newscrawl_warcinfo(record.reader.read(4096))
            elif kind in (WarcRecordType.response, WarcRecordType.revisit):
                url = record.headers.get("WARC-Target-URI") or ""
                if ours or part.in_scope(url):
                    _add(part, record, url, number, offset, kind == WarcRecordType.revisit)
                else:
                    part.counts.other_hosts += 1
    except (OSError, ValueError, UnicodeError, Doubt):
        return None
    return last_start


def _add(part: Any, record: Any, url: str, number: int, offset: int, revisit: bool) -> None:
    """One response or revisit record, read through to know it is whole (as the warcio pass
    does: a payload cut short, or anything unusual, is a Doubt)."""
    head = record.reader.read(CHUNK)
    end_of_headers = head.find(b"\r\n\r\n")
    if not head.startswith(b"HTTP/") or end_of_headers < 0:
        raise Doubt(url)
    size = len(head)
    while chunk := record.reader.read(CHUNK):
        size += len(chunk)
        if size % (CHUNK << 8) == 0:
            part.check_stop()
    if size != record.content_length:
        raise Doubt(url)  # cut short: warcio's pass names it
    if part.max_size and size - end_of_headers - 4 > part.max_size:
        raise Doubt(url)  # refused and logged by warcio's pass, as ever
    try:
        status = int(head.split(b"\r\n", 1)[0].split()[1])
    except (IndexError, ValueError):
        raise Doubt(url) from None
    from newscrawl.archive.scanner import capture_of

    part.remember(capture_of(record.headers.get, url, status, number, offset, revisit))
