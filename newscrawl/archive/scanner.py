"""Reading WARC streams record by record: where each capture of an article lies.

The archives are read once, streaming (warcio), and only where each capture lies is kept
(file, offset), never a page: a Common Crawl file of 1 GB and 40,000 records holds a few
dozen Tribun pages. Records of other hosts are skipped without reading their payload; an
archive newscrawl wrote (its ``warcinfo`` says so) is taken whole, since its crawl scoped it.
Damage is skipped, named and counted: a record cut short, a file that ends inside its last
record, bytes warcio cannot parse (reading goes on at the next record found). Which capture
of a URL wins is the index's (newscrawl/archive/index.py).
"""
from __future__ import annotations

import logging
import zipfile
import zlib
from dataclasses import dataclass, field
from typing import Any, BinaryIO, Callable
from urllib.parse import urlsplit

from newscrawl.archive.fastscan import fast_scan
from newscrawl.archive.records import (
    HeaderGuard,
    Source,
    is_newscrawl_warcinfo,
    next_record_start,
    printable,
    record_errors,
    url_key,
)
from newscrawl.network.sites import NETWORK_DOMAINS, is_network_host

logger = logging.getLogger(__name__)
CHUNK = 1 << 16


@dataclass(frozen=True)
class Capture:
    """Where one archived response (or revisit) lies."""

    url: str
    date: str  # WARC-Date, ISO 8601: later strings are later captures
    status: int
    source: int
    offset: int
    digest: str | None = None  # WARC-Payload-Digest
    revisit_of: str | None = None  # a revisit: the digest, else "url date", of its original


class IndexingStopped(Exception):
    """A signal asked the crawl to stop while the archives were being read."""


class CutShort(Exception):
    """A record whose payload is shorter than its length says (counted and logged)."""


@dataclass
class Counts:
    records: int = 0
    other_hosts: int = 0  # records of hosts outside the network, skipped
    truncated: int = 0  # records cut short (a truncated file)
    unresolved_revisits: int = 0  # revisits whose original the archives lack
    unreadable: list[str] = field(default_factory=list)  # files that broke off
    too_large: int = 0  # payloads over DOWNLOAD_MAXSIZE, refused
    skipped: list[str] = field(default_factory=list)  # byte ranges that could not be read
    slow_reads: int = 0  # sources (or shares) FastWARC left to warcio: damage, or no FastWARC


class Scanner:
    """What reading the archives found: every capture of each URL, the responses by payload
    digest and by URL and date (for revisits), and the counts of what was skipped."""

    def __init__(self, sources: list[Source], hosts: frozenset[str] = frozenset(), max_size: int = 0,
                 stop: Callable[[], bool] | None = None, fast: bool = True) -> None:
        self.sources = sources
        self.fast = fast  # FastWARC first (newscrawl/archive/fastscan.py); warcio alone if False
        self.stop = stop  # asked between records (and chunks): True ends the reading
        self.hosts = hosts  # host:port of -a urls, allowed besides the network
        self.max_size = max_size  # payloads larger than this are refused (0: no limit)
        self._names = (*NETWORK_DOMAINS, *hosts)  # one is in every URL in scope
        self.counts = Counts()
        self.all: dict[str, list[Capture]] = {}
        self.by_digest: dict[str, Capture] = {}
        self.by_time: dict[str, Capture] = {}  # "url-key date" -> response
        self._bad_offset = self._last_start = 0  # where the record being read starts
        self._ours = False  # whether the last warcinfo read was newscrawl's (kept across a resync)

    def scan(self, number: int, start: int = 0, end: int | None = None) -> None:
        """Index source ``number`` whole, or the records that start in ``[start, end)``: a
        replay worker's share (newscrawl/archive/shared_index.py). A range that does not
        start the source begins at the first record found from ``start`` on."""
        self._scan(number, self.sources[number], start, end)

    def partial(self) -> dict[str, Any]:
        """What scanning found, before any choice: another worker's index absorbs it."""
        return {"all": self.all, "by_digest": self.by_digest, "by_time": self.by_time, "counts": self.counts}

    def absorb(self, partial: dict[str, Any]) -> None:
        """Another worker's scan of other sources of the same archives, added to this one."""
        for key, captures in partial["all"].items():
            self.all.setdefault(key, []).extend(captures)
        for digest, capture in partial["by_digest"].items():
            self.by_digest.setdefault(digest, capture)
        self.by_time.update(partial["by_time"])
        counts: Counts = partial["counts"]
        for name in ("records", "other_hosts", "truncated", "too_large", "slow_reads"):
            setattr(self.counts, name, getattr(self.counts, name) + getattr(counts, name))
        self.counts.unreadable.extend(counts.unreadable)
        self.counts.skipped.extend(counts.skipped)

    def _scan(self, number: int, source: Source, start: int = 0, end: int | None = None) -> None:
        """Index one WARC stream, or the records starting in ``[start, end)`` of it (a
        replay worker's share, newscrawl/archive/workers.py). A record that cannot be read
        is skipped, and reading goes on at the next record (gzip member or ``WARC/1.`` line)
        found after it: every skipped range is named in the log and counted (``skipped``)."""
        self._ours = False
        try:
            with source.open() as stream:
                position = start if start == 0 else next_record_start(stream, start)
                if position is not None and self._fast(number, source, stream, position, end):
                    return
                while position is not None and (end is None or position < end):
                    stream.seek(position)
                    try:
                        self._records(number, stream, end)
                        position = None
                        self._check_the_end(source, stream, end)
                    except CutShort:
                        position = next_record_start(stream, self._bad_offset + 1)
                    except IndexingStopped:
                        raise
                    except record_errors() as error:  # warcio on hostile input
                        bad = self._bad_offset
                        position = next_record_start(stream, bad + 1)
                        self._skipped(source, bad, position, error)
        except (OSError, zipfile.BadZipFile) as error:
            logger.error("%s: unreadable after %d records (%s); the rest of it is skipped",
                         source, self.counts.records, printable(str(error)))
            self.counts.unreadable.append(str(source))

    def _fast(self, number: int, source: Source, stream: BinaryIO, start: int, end: int | None) -> bool:
        """The source (or share) read by FastWARC, when it is intact; False to read it with
        warcio, which names any damage (nothing was counted then)."""
        part = Scanner(self.sources, self.hosts, self.max_size, self.stop)  # kept only if all goes well
        last_start = fast_scan(part, number, stream, start, end) if self.fast else None
        if last_start is None or not ((end is not None and end < source.size()) or ends_whole(stream, last_start)):
            self.counts.slow_reads += 1
            return False
        self.absorb(part.partial())
        return True

    def _records(self, number: int, stream: BinaryIO, end: int | None = None) -> None:
        """Index the records from the stream's position on (those starting before ``end``).
        Records after a newscrawl warcinfo were scoped by that crawl (a local mirror's host
        included): ``_ours``, decided again at every warcinfo (concatenated files mix
        crawlers) and kept across a resync after damage."""
        from warcio.archiveiterator import ArchiveIterator

        records = ArchiveIterator(stream)
        headers = HeaderGuard(records.reader)
        self._bad_offset = self._last_start = stream.tell()
        for record in records:
            self._last_start = self._bad_offset
            if end is not None and self._bad_offset >= end:  # where this record starts
                return  # the next share's
            self.check_stop()
            self.counts.records += 1
            if record.rec_type == "warcinfo":
                self._ours = is_newscrawl_warcinfo(record.content_stream().read(4096))
            elif record.rec_type in ("response", "revisit") and record.http_headers is not None:
                url = record.rec_headers.get_header("WARC-Target-URI") or ""
                if self._ours or self.in_scope(url):
                    self._add(record, url, number, records)
                else:
                    self.counts.other_hosts += 1
            records.read_to_end()
            headers.reset()
            self._bad_offset = records.offset  # where the next record starts

    def _check_the_end(self, source: Source, stream: BinaryIO, end: int | None) -> None:
        """A file cut inside its last record (an interrupted download, the commonest damage)
        may still parse: warcio reads what is there. Its last gzip member then has no end:
        named, with the byte where that record starts, as a lost part of the archives."""
        size = source.size()
        if (end is not None and end < size) or ends_whole(stream, self._last_start):
            return
        where = f"{source}: bytes {self._last_start}-{size - 1}"
        self.counts.skipped.append(f"{where} (the file ends inside this record: cut short?)")
        logger.error("%s: the file ends inside its last record (it starts at byte %d of %d): cut short, an "
                     "interrupted download? What it held before that record was replayed", source,
                     self._last_start, size)

    def check_stop(self) -> None:
        if self.stop is not None and self.stop():
            raise IndexingStopped()

    def _skipped(self, source: Source, start: int, end: int | None, error: Exception) -> None:
        where = f"{source}: bytes {start}-{end - 1 if end is not None else 'end'}"
        self.counts.skipped.append(where)
        logger.error("%s skipped: %s (%s)%s", where, type(error).__name__, printable(str(error), 120),
                     "; reading goes on at the next record" if end is not None else "; nothing readable after it")

    def _add(self, record: Any, url: str, number: int, records: Any) -> None:
        """Index one response or revisit record (its payload read through, in bounded
        memory, to know it is whole; one larger than ``max_size`` is refused)."""
        size = 0
        while chunk := record.raw_stream.read(CHUNK):
            size += len(chunk)
            if size % (CHUNK << 8) == 0:  # every 16 MB of one record
                self.check_stop()
        if record.length is None or size != record.length - record.http_headers.total_len:
            self.counts.truncated += 1
            logger.error("%s: the capture of %s (its record starts at byte %d) is cut short (%d of %s payload "
                         "bytes): skipped", self.sources[number], printable(url), self._last_start, size, record.length)
            # A wrong length may have swallowed the records after it: look for them.
            raise CutShort(url)
        if self.max_size and size > self.max_size:
            self.counts.too_large += 1
            logger.info("%s: a capture of %d bytes, more than DOWNLOAD_MAXSIZE (%d): refused",
                        printable(url), size, self.max_size)
            return
        try:
            status = int(record.http_headers.get_statuscode())
        except (TypeError, ValueError):
            return
        self.remember(capture_of(record.rec_headers.get_header, url, status, number, records.get_record_offset(),
                                 record.rec_type == "revisit"))

    def remember(self, capture: Capture) -> None:
        """Index one capture (a revisit by what it refers to; a response also by its payload
        digest and by URL and date, for the revisits that refer to it)."""
        key = url_key(capture.url)
        self.all.setdefault(key, []).append(capture)
        if capture.revisit_of is None:
            if capture.digest:
                self.by_digest.setdefault(capture.digest, capture)
            self.by_time[f"{key} {capture.date}"] = capture

    def in_scope(self, url: str) -> bool:
        """Whether a captured URL is on the Tribun network (http or https, any port) or on
        a host given with ``-a urls``."""
        lowered = url.lower()
        if not any(name in lowered for name in self._names):
            return False  # most records of a Common Crawl file: no URL parse needed
        try:
            parts = urlsplit(url)
            return is_network_host(parts.hostname or "") or parts.netloc.lower() in self.hosts
        except ValueError:  # a capture's URL that does not parse is no article of ours
            return False



def capture_of(header: Callable[[str], str | None], url: str, status: int, number: int, offset: int,
               revisit: bool) -> Capture:
    """A response or revisit record as a capture; ``header`` reads its WARC headers (warcio's
    and FastWARC's alike). A revisit refers to its original by payload digest, else by URL
    and date."""
    digest = header("WARC-Payload-Digest")
    revisit_of = None
    if revisit:
        revisit_of = digest or (f"{url_key(header('WARC-Refers-To-Target-URI') or url)} "
                                f"{header('WARC-Refers-To-Date') or ''}")
    return Capture(url, header("WARC-Date") or "", status, number, offset, digest, revisit_of)


def ends_whole(stream: BinaryIO, start: int) -> bool:
    """Whether the gzip members from ``start`` to the end of the stream each end whole (a
    stream that is not gzip: True, it cannot tell). Decompressed a chunk at a time, kept not."""
    stream.seek(start)
    if stream.read(2) != b"\x1f\x8b":
        return True
    stream.seek(start)
    member = zlib.decompressobj(31)
    while chunk := stream.read(CHUNK):
        while chunk:
            member.decompress(chunk, CHUNK)
            chunk = member.unconsumed_tail or member.unused_data
            if member.eof and chunk:
                member = zlib.decompressobj(31)  # the next record's member
    return member.eof
