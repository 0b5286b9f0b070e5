"""The cross-run article store: which articles earlier runs exported (SQLite, embedded).

Each exported article is kept as 64-bit keys (its canonical URL, and its site+id when
it has one) plus, for near-duplicate detection, its SimHash and URL. Integer keys keep
the file small and lookups at a few microseconds at millions of articles (README
"Incremental runs" has the figures; bench/store_bench.py measures them).
"""
from __future__ import annotations

import hashlib
import os
import sqlite3
from contextlib import closing
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable, NamedTuple

from newscrawl.text.simhash import UNKNOWN, Copy, bands, earliest, hamming

_SCHEMA = """
CREATE TABLE IF NOT EXISTS exported (key INTEGER PRIMARY KEY);
CREATE TABLE IF NOT EXISTS fingerprints (id INTEGER PRIMARY KEY, simhash INTEGER NOT NULL,
                                         url TEXT NOT NULL, published INTEGER);
CREATE TABLE IF NOT EXISTS bands (band INTEGER NOT NULL, fingerprint INTEGER NOT NULL,
                                  PRIMARY KEY (band, fingerprint)) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS versions (key INTEGER PRIMARY KEY, version INTEGER NOT NULL,
                                     content_hash TEXT, title TEXT, page_count INTEGER,
                                     updated_at TEXT, lastmod INTEGER, fetched INTEGER, published INTEGER);
CREATE TABLE IF NOT EXISTS page_all (site TEXT PRIMARY KEY, proofs INTEGER NOT NULL, refused TEXT);
CREATE TABLE IF NOT EXISTS captures (key INTEGER PRIMARY KEY, digest TEXT NOT NULL, date TEXT NOT NULL,
                                     url TEXT NOT NULL);
"""


STORE_NAME = "articles.sqlite3"  # in NEWSCRAWL_STATE_DIR
VERSION_COLUMNS = ("version", "content_hash", "title", "page_count", "updated_at", "lastmod", "fetched",
                   "published")


def _signed(value: int) -> int:
    """SQLite integers are signed 64-bit."""
    return value - (1 << 64) if value >= 1 << 63 else value


def key_of(text: str) -> int:
    """64-bit key of a URL or id string."""
    return _signed(int.from_bytes(hashlib.blake2b(text.encode(), digest_size=8).digest(), "big"))


def article_keys(url: str | None, site: str | None = None, article_id: str | None = None) -> list[int]:
    """The keys an article is known by: its canonical URL, and its site's id if any.

    >>> len(article_keys("https://www.tribunnews.com/a/1/b", "www.tribunnews.com", "1"))
    2
    """
    keys = [key_of("url:" + url)] if url else []
    if site and article_id:
        keys.append(key_of(f"id:{site}/{article_id}"))
    return keys


class Capture(NamedTuple):
    """A page's last archived payload in a committed run's archive (what a later capture of
    the same payload refers to with a WARC ``revisit`` record, newscrawl/archive/writer.py)."""

    url: str  # the URL as captured
    digest: str  # WARC-Payload-Digest, ``sha1:<base32>``
    date: str  # its WARC-Date


def capture_key(url: str) -> int:
    return key_of("capture:" + url)


@dataclass
class Version:
    """What the store keeps of an article's latest exported version, to notice a change
    and to decide when to fetch it again (newscrawl/dedup/revisit.py)."""

    version: int = 1
    content_hash: str | None = None
    title: str | None = None
    page_count: int = 1
    updated_at: str | None = None
    lastmod: int | None = None  # epoch seconds: the sitemap <lastmod> seen
    fetched: int | None = None  # epoch seconds: when it was last fetched
    published: int | None = None  # epoch seconds


@dataclass
class ExportedArticle:
    """What the store keeps of one exported article (``version``: of this export, None in
    journals written before versions were kept)."""

    keys: list[int]
    url: str
    simhash: int | None = None
    published: int | None = None  # epoch seconds: which of two copies is the original
    version: dict | None = None  # a Version's fields

    def as_version(self) -> Version | None:
        return Version(**self.version) if self.version else None


class CorruptStore(RuntimeError):
    """The store file cannot be read as a store; the message says how to start afresh."""


def holds_articles(path: Path) -> bool:
    """Whether the store at ``path`` holds any exported article (False when it is missing
    or an empty file: a new store). Raises CorruptStore when the file is no readable store
    (a torn copy, a file overwritten by something else). Cheap: the header and the schema,
    not every page."""
    if not path.exists() or path.stat().st_size == 0:
        return False
    try:
        with closing(sqlite3.connect(f"file:{path}?mode=ro", uri=True)) as db:
            if not db.execute("SELECT 1 FROM sqlite_master LIMIT 1").fetchone():
                return False  # no table at all: a creation cut short, holding nothing (create_store)
            return db.execute("SELECT 1 FROM exported LIMIT 1").fetchone() is not None
    except sqlite3.DatabaseError as error:  # OperationalError ("no such table") included
        raise CorruptStore(_corrupt(path, error)) from None


def create_store(path: Path) -> None:
    """Make sure a store exists at ``path``, created whole or not at all: built beside it
    and renamed, so that a full disk leaves no store without tables behind (which would
    stop every later run as corrupt). A file without any table (a creation cut short by an
    earlier version) holds nothing and is replaced. Raises sqlite3.Error or OSError."""
    if path.exists() and path.stat().st_size and _has_tables(path):
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    new = path.with_name(path.name + ".new")
    try:
        new.unlink(missing_ok=True)
        with closing(sqlite3.connect(new)) as db:
            db.executescript(_SCHEMA)
            db.commit()
        for leftover in (path.with_name(path.name + "-wal"), path.with_name(path.name + "-shm")):
            leftover.unlink(missing_ok=True)  # of the empty file replaced, if any
        os.replace(new, path)
    finally:
        new.unlink(missing_ok=True)


def _has_tables(path: Path) -> bool:
    try:
        with closing(sqlite3.connect(f"file:{path}?mode=ro", uri=True)) as db:
            return db.execute("SELECT 1 FROM sqlite_master LIMIT 1").fetchone() is not None
    except sqlite3.DatabaseError:
        return True  # not ours to replace: holds_articles says it is corrupt


def _corrupt(path: Path, error: Exception) -> str:
    return (f"the state store {path} is corrupt ({error}): restore it from a backup, or move it "
            "away to start afresh (every article is then exported again)")


class SqliteArticleStore:
    """Exported articles of all earlier runs, in one SQLite file."""

    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        self.db = sqlite3.connect(path)
        self.db.execute("PRAGMA journal_mode=WAL")
        self.db.executescript(_SCHEMA)
        columns = [row[1] for row in self.db.execute("PRAGMA table_info(fingerprints)")]
        if "published" not in columns:  # a store written before publication times were kept
            self.db.execute("ALTER TABLE fingerprints ADD COLUMN published INTEGER")

    def knows(self, keys: Iterable[int]) -> bool:
        """True when any of the keys belongs to an article exported before."""
        return any(self.db.execute("SELECT 1 FROM exported WHERE key = ?", (k,)).fetchone()
                   for k in keys)

    def latest_version(self, key: int) -> Version | None:
        """The latest exported version of the article with this URL key (None: none kept,
        e.g. exported before versions were kept)."""
        row = self.db.execute(f"SELECT {', '.join(VERSION_COLUMNS)} FROM versions WHERE key = ?", (key,)).fetchone()
        return Version(*row) if row else None

    def touch(self, key: int, fetched: int, lastmod: int | None) -> None:
        """An unchanged revisit: remember when it was fetched and the lastmod it had."""
        with self.db:
            self.db.execute("UPDATE versions SET fetched = ?, lastmod = COALESCE(?, lastmod) WHERE key = ?",
                            (fetched, lastmod, key))

    def near_duplicate_of(self, simhash: int, max_distance: int) -> Copy | None:
        """The earliest-published stored body within ``max_distance`` bits, or None."""
        keys = [_signed(b) for b in bands(simhash)]
        rows = self.db.execute(
            "SELECT DISTINCT f.id, f.simhash, f.url, f.published FROM bands b JOIN fingerprints f "
            f"ON f.id = b.fingerprint WHERE b.band IN ({','.join('?' * len(keys))}) ORDER BY f.id", keys)
        return earliest(Copy(url, UNKNOWN if published is None else published)
                        for _, other, url, published in rows
                        if hamming(simhash, other % (1 << 64)) <= max_distance)

    def record(self, articles: Iterable[ExportedArticle]) -> int:
        """Add exported articles in one transaction; returns how many were given."""
        count = 0
        with self.db:
            for article in articles:
                count += 1
                self.db.executemany("INSERT OR IGNORE INTO exported (key) VALUES (?)",
                                    [(k,) for k in article.keys])
                if (version := article.as_version()) is not None:
                    self.db.execute(f"INSERT OR REPLACE INTO versions (key, {', '.join(VERSION_COLUMNS)}) "
                                    f"VALUES (?{', ?' * len(VERSION_COLUMNS)})",
                                    (article.keys[0], *(getattr(version, c) for c in VERSION_COLUMNS)))
                if article.simhash is not None:
                    cursor = self.db.execute(
                        "INSERT INTO fingerprints (simhash, url, published) VALUES (?, ?, ?)",
                        (_signed(article.simhash), article.url, article.published))
                    self.db.executemany("INSERT OR IGNORE INTO bands (band, fingerprint) VALUES (?, ?)",
                                        [(_signed(b), cursor.lastrowid) for b in bands(article.simhash)])
        return count

    def last_capture(self, url: str) -> Capture | None:
        """The last full capture of this URL that a committed run archived, or None."""
        row = self.db.execute("SELECT url, digest, date FROM captures WHERE key = ?", (capture_key(url),)).fetchone()
        return Capture(*row) if row else None

    def record_captures(self, captures: Iterable[Capture]) -> None:
        """A committed run's full captures (the later of two of one URL wins)."""
        with self.db:
            self.db.executemany("INSERT OR REPLACE INTO captures (key, digest, date, url) VALUES (?, ?, ?, ?)",
                                [(capture_key(c.url), c.digest, c.date, c.url) for c in captures])

    def page_all_of(self, site: str) -> tuple[int, str | None] | None:
        """What a site's ?page=all view proved (newscrawl/crawl/page_all.py), or None."""
        return self.db.execute("SELECT proofs, refused FROM page_all WHERE site = ?", (site,)).fetchone()

    def set_page_all(self, site: str, proofs: int, refused: str | None) -> None:
        with self.db:
            self.db.execute("INSERT OR REPLACE INTO page_all (site, proofs, refused) VALUES (?, ?, ?)",
                            (site, proofs, refused))

    def count(self) -> int:
        return self.db.execute("SELECT COUNT(*) FROM exported").fetchone()[0]

    def close(self) -> None:
        self.db.close()
