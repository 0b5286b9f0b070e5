"""Reading web archives: where the best capture of each URL lies, in WARC and WACZ files
written by newscrawl or by other crawlers (Common Crawl, the Wayback Machine, Heritrix,
wget, Browsertrix).

The records are read by a ``Scanner`` (newscrawl/archive/scanner.py); the index chooses.
Of several captures of one URL the latest that was served (2xx) wins, else the latest;
a ``revisit`` record (a capture the crawler found unchanged) takes its payload from the
capture it refers to (by payload digest, else by URL and date) when the given archives
hold it; a record cut short (a truncated file) never wins.
"""
from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import Any, Callable, Iterator

from newscrawl.archive.records import Source, read_record, sources_of, url_key, warc_moment
from newscrawl.archive.scanner import Capture, Counts, IndexingStopped, Scanner

__all__ = ["ArchiveIndex", "Capture", "IndexingStopped", "url_key"]


class ArchiveIndex:
    """The best capture of each URL in the given archives."""

    def __init__(self, sources: list[Source], hosts: frozenset[str] = frozenset(), max_size: int = 0,
                 stop: Callable[[], bool] | None = None) -> None:
        self.sources = sources
        self.scanner = Scanner(sources, hosts, max_size, stop)
        self.captures: dict[str, Capture] = {}
        self.history: dict[str, list[Capture]] = {}  # served captures of each URL, oldest first

    @classmethod
    def of(cls, files: list[Path], hosts: frozenset[str] = frozenset(), max_size: int = 0,
           stop: Callable[[], bool] | None = None) -> "ArchiveIndex":
        """An index of these archives, nothing read yet (read, or shared_index's readers)."""
        lost: list[str] = []
        index = cls(sources_of(files, lost), frozenset(h.lower() for h in hosts), max_size, stop)
        index.counts.unreadable.extend(lost)
        return index

    @classmethod
    def read(cls, files: list[Path], hosts: frozenset[str] = frozenset(), max_size: int = 0,
             stop: Callable[[], bool] | None = None) -> "ArchiveIndex":
        """Index the archives; records of hosts outside the network and ``hosts`` (host:port,
        as ``-a urls`` gives them) are skipped unless a newscrawl warcinfo precedes them.
        Raises IndexingStopped as soon as ``stop()`` says so."""
        index = cls.of(files, hosts, max_size, stop)
        for number in range(len(index.sources)):
            index.scanner.scan(number)
        index.choose()
        return index

    @property
    def counts(self) -> Counts:
        return self.scanner.counts

    @property
    def records(self) -> int:
        return self.scanner.counts.records

    def absorb(self, partial: dict[str, Any]) -> None:
        """Another worker's scan of other sources of the same archives, added to this one."""
        self.scanner.absorb(partial)

    def choose(self) -> None:
        """Per URL: the latest served (2xx) capture, else the latest; revisits only when
        their original is in the archives. Captures in archive order first: of two with
        the same date the first archived wins, however the scanning was shared out."""
        for key, captures in self.scanner.all.items():
            captures.sort(key=lambda c: (c.source, c.offset))
            usable = [c for c in captures if c.revisit_of is None or self.original(c) is not None]
            self.counts.unresolved_revisits += len(captures) - len(usable)
            if usable:
                self.captures[key] = max(usable, key=lambda c: (200 <= c.status < 300, c.date))
            if served := sorted((c for c in usable if 200 <= c.status < 300), key=lambda c: c.date):
                self.history[key] = served
        self.scanner.all = {}

    def capture_moments(self, url: str) -> list[str]:
        """The served captures of a URL, oldest first (its versions in the archives), each as
        ``<WARC-Date>#<rank>``: the rank tells apart captures of one date (one second, or no
        WARC-Date at all), in archive order."""
        moments, seen = [], Counter()
        for capture in self.history.get(url_key(url), []):
            moments.append(f"{capture.date}#{seen[capture.date]}")
            seen[capture.date] += 1
        return moments

    def original(self, capture: Capture) -> Capture | None:
        """The capture holding a revisit's payload (itself for a response)."""
        if capture.revisit_of is None:
            return capture
        return self.scanner.by_digest.get(capture.revisit_of) or self.scanner.by_time.get(capture.revisit_of)

    def article_urls(self, is_article: Any) -> Iterator[str]:
        """URLs of the captured pages ``is_article`` accepts that were served (2xx), in
        archive order."""
        for capture in sorted(self.captures.values(), key=lambda c: (c.source, c.offset)):
            if 200 <= capture.status < 300 and is_article(capture.url):
                yield capture.url

    def find(self, url: str, at: str | None = None) -> Capture | None:
        """The best capture of a URL; with ``at`` (a WARC-Date, or a moment of
        ``capture_moments``), its served capture nearest to that moment (the page 2 archived
        with a page 1 of that date), the rank-th of those equally near."""
        key = url_key(url)
        if at and (served := self.history.get(key)):
            date, _, rank = at.partition("#")
            moment = warc_moment(date)
            distances = [abs(warc_moment(c.date) - moment) for c in served]
            best = min(distances)
            nearest = [c for c, distance in zip(served, distances) if distance == best]
            return nearest[min(int(rank or 0), len(nearest) - 1)]
        return self.captures.get(key)

    def load(self, capture: Capture) -> tuple[list[tuple[str, str]], bytes, str | None]:
        """Headers (without the transfer ones), de-chunked payload (its Content-Encoding kept)
        and protocol of a capture; a revisit's headers with its original's payload."""
        original = self.original(capture)
        headers, protocol, body = read_record(self.sources[capture.source], capture.offset, original is capture)
        if original is not capture:
            body = read_record(self.sources[original.source], original.offset, True)[2]
        return headers, body, protocol
