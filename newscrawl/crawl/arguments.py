"""The `tribun` spider's `-a` arguments, checked before any request is made.

A bad argument raises ArgumentError whose message names the argument in one line;
the `crawl` command prints it and exits non-zero (newscrawl/commands/crawl.py).
"""
from __future__ import annotations

import csv
import logging
import re
import stat
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from urllib.parse import urlsplit

from newscrawl.network.sites import ALL_SITES, MAIN_SITE, REGIONAL_SITES, site_host
from newscrawl.network.urls import canonical_url, is_article_url
from newscrawl.options import MAX_WORKERS

logger = logging.getLogger(__name__)

KNOWN = ("urls", "urls_file", "since", "until", "sites", "sections", "archive", "workers")
# The spider argument that carries the arguments the crawl command already checked.
CHECKED_ARGUMENTS = "_checked_arguments"
_SECTION = re.compile(r"^[a-z0-9][a-z0-9-]*$")


class ArgumentError(ValueError):
    """A spider argument that cannot be used; the message is one line, naming it."""


@dataclass(frozen=True)
class CrawlArguments:
    urls: tuple[str, ...] = ()
    since: date | None = None
    until: date | None = None
    sites: tuple[str, ...] = (MAIN_SITE,)
    sections: tuple[str, ...] = ()
    archives: tuple[Path, ...] = ()  # replay these WARC files instead of the network
    # -a urls_file: each listed URL with the content_hash the list gives it (None: none).
    listed: tuple[tuple[str, str | None], ...] = ()
    workers: int = 1  # processes a replay is spread over (newscrawl/archive/workers.py)

    @property
    def hosts(self) -> frozenset[str]:
        """The hosts this run crawls: the ``-a urls`` hosts, else those of its sites."""
        if self.urls:
            return frozenset(urlsplit(u).netloc.lower() for u in self.urls)
        return frozenset(site_host(name) for name in self.sites)

    @property
    def days(self) -> list[date]:
        """The backfill dates, newest first (empty without ``since``)."""
        if self.since is None or self.until is None:
            return []
        return [date.fromordinal(n) for n in range(self.until.toordinal(), self.since.toordinal() - 1, -1)]


def parse_arguments(raw: dict[str, str], today: date) -> CrawlArguments:
    """Check and convert ``-a`` values; names starting with ``_`` (Scrapyd's) are ignored."""
    for name in raw:
        if not name.startswith("_") and name not in KNOWN:
            raise ArgumentError(f"unknown argument -a {name}= (known: {', '.join(KNOWN)})")
    urls = tuple(_url(u) for u in _items(raw, "urls"))
    listed = _listed(raw)
    if listed and urls:
        raise ArgumentError("-a urls and -a urls_file: give one of them")
    urls = urls or tuple(url for url, _ in listed)
    since, until = _date(raw, "since"), _date(raw, "until")
    if until and not since:
        since = until
    if since and not until:
        until = today
    if since and until and since > until:
        raise ArgumentError(f"-a since={since} is after -a until={until}")
    sites = _sites(raw)
    sections = tuple(_items(raw, "sections"))
    for section in sections:
        if not _SECTION.match(section):
            raise ArgumentError(f"-a sections: {section!r} is not a section name such as 'nasional'")
    if urls and (since or "sites" in raw or sections):
        raise ArgumentError(f"-a {'urls_file' if listed else 'urls'} crawls exactly the given URLs: "
                            "drop since/until/sites/sections")
    archives = _archives(raw)
    if archives and (since or "sites" in raw or sections):
        raise ArgumentError("-a archive replays what the archives hold (or the -a urls in them): "
                            "drop since/until/sites/sections")
    return CrawlArguments(urls, since, until, sites, sections, archives, listed, _workers(raw, archives))


def _workers(raw: dict[str, str], archives: tuple[Path, ...]) -> int:
    if "workers" not in raw:
        return 1
    value = str(raw["workers"]).strip()
    if not value.isdigit() or not 1 <= int(value) <= MAX_WORKERS:
        raise ArgumentError(f"-a workers={raw['workers']!r} is not a number of processes from 1 to {MAX_WORKERS}")
    if not archives:
        raise ArgumentError("-a workers spreads a replay over processes: give -a archive= too")
    return int(value)


def _listed(raw: dict[str, str]) -> tuple[tuple[str, str | None], ...]:
    """The URLs (and content hashes) of a shared list: a CSV with a ``url`` column, as a
    dataset's ``urls.csv`` (README "Sharing a dataset")."""
    if "urls_file" not in raw:
        return ()
    name = str(raw["urls_file"]).strip()
    try:
        with open(Path(name).expanduser(), encoding="utf-8-sig", newline="") as file:
            reader = csv.DictReader(file)
            if "url" not in (reader.fieldnames or []):
                raise ArgumentError(f"-a urls_file: {name} has no 'url' column in its header line")
            listed, variants = {}, 0
            for line, row in enumerate(reader, start=2):
                if not (row.get("url") or "").strip():
                    continue
                url = _listed_url(row["url"].strip(), name, line)
                variants += url in listed
                listed.setdefault(url, (row.get("content_hash") or "").strip() or None)
            if variants:
                logger.info("-a urls_file: %s: %d line(s) name an article listed before under another form of "
                            "its URL: each article is listed once", name, variants)
    except (OSError, UnicodeDecodeError, csv.Error) as error:
        raise ArgumentError(f"-a urls_file: {name}: {getattr(error, 'strerror', None) or error}") from None
    if not listed:
        raise ArgumentError(f"-a urls_file: {name} lists no URL")
    return tuple(listed.items())


# A URL already in its canonical form on the network (what a dataset's urls.csv holds):
# https, a subdomain of tribunnews.com but m., a plain path, no query, no trailing slash.
# Checked by one regular expression instead of parsing: a list of 10^6 rows took a minute.
_CANONICAL = re.compile(r"https://(?!m\.)[a-z0-9-]+\.tribunnews\.com/(?!amp/)[A-Za-z0-9._~%/-]*[A-Za-z0-9._~%-]")


def _listed_url(raw: str, name: str, line: int) -> str:
    """A listed URL, checked (as ``-a urls``) and, for an article, canonical: an article
    listed again under a variant of its URL (tracking, ``?page=2``, a trailing slash, ``m.``,
    ``/amp/``) is the same article.

    >>> _listed_url("https://www.tribunnews.com/nasional/7845771/judul", "f", 2)
    'https://www.tribunnews.com/nasional/7845771/judul'
    >>> _listed_url("http://m.tribunnews.com/amp/nasional/7845771/judul/?utm_source=x&page=2", "f", 3)
    'https://www.tribunnews.com/nasional/7845771/judul'
    """
    if _CANONICAL.fullmatch(raw) and "//" not in raw[8:]:
        return raw
    try:
        url = _url(raw)
    except ArgumentError as error:
        raise ArgumentError(f"-a urls_file: {name} line {line}: {str(error).split(': ', 1)[1]}") from None
    return canonical_url(url) if is_article_url(url) else url


def _archives(raw: dict[str, str]) -> tuple[Path, ...]:
    """The archive files of ``-a archive`` (folders expanded)."""
    if "archive" not in raw:
        return ()
    try:
        return tuple(archive_files(_items(raw, "archive")))
    except ValueError as error:
        raise ArgumentError(f"-a archive: {error}") from None


def _items(raw: dict[str, str], name: str) -> list[str]:
    if name not in raw:
        return []
    items = [item.strip() for item in str(raw[name]).split(",") if item.strip()]
    if not items:
        raise ArgumentError(f"-a {name} is empty")
    return items


def _url(url: str) -> str:
    """An http(s) URL without credentials, its host name in ASCII (punycode).

    >>> _url("https://berita.contoh.id/a"), _url("http://bücher.example/2020/01/01/x?page=2")
    ('https://berita.contoh.id/a', 'http://xn--bcher-kva.example/2020/01/01/x?page=2')
    """
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 - raises ValueError on a port that is not a number
    except ValueError:
        raise ArgumentError(f"-a urls: {_masked(url)!r} is not a valid URL") from None
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ArgumentError(f"-a urls: {_masked(url)!r} is not an http(s) URL")
    if parts.username is not None or parts.password is not None:
        # Never fetched with them, never logged: the crawl has no business with logins.
        raise ArgumentError(f"-a urls: {_masked(url)!r} holds a user name or password; give the URL without them")
    try:
        host = parts.hostname.encode("idna").decode("ascii")
    except UnicodeError:
        raise ArgumentError(f"-a urls: {url!r} has a host name that cannot be written in ASCII") from None
    netloc = host if parts.port is None else f"{host}:{parts.port}"
    return parts._replace(netloc=netloc).geturl()


def _masked(url: str) -> str:
    """The URL with any credentials replaced by ``***``.

    >>> _masked("https://user:secret@www.tribunnews.com/a")
    'https://***@www.tribunnews.com/a'
    """
    return re.sub(r"^([a-zA-Z][a-zA-Z0-9+.-]*://)[^/@]*@", r"\1***@", url.strip())


def _date(raw: dict[str, str], name: str) -> date | None:
    if name not in raw:
        return None
    try:
        return date.fromisoformat(str(raw[name]).strip())
    except ValueError:
        raise ArgumentError(f"-a {name}={raw[name]!r} is not a date in the form YYYY-MM-DD") from None


def _sites(raw: dict[str, str]) -> tuple[str, ...]:
    names = [n.lower() for n in _items(raw, "sites")] or [MAIN_SITE]
    if names == ["all"]:
        return ALL_SITES
    if names == ["regional"]:  # every site but www: beside a www job with its own state
        return REGIONAL_SITES
    for name in names:
        if name not in ALL_SITES:
            raise ArgumentError(f"-a sites: unknown site {name!r} (see newscrawl/network/sites.py, 'all' or 'regional')")
    return tuple(dict.fromkeys(names))


# What an archive file is named (a WACZ holds its WARCs inside).
ARCHIVE_NAMES = ("*.warc.gz", "*.warc", "*.wacz")


def archive_files(paths: list[str]) -> list[Path]:
    """The archive files named (WARC or WACZ), folders expanded to the archives inside (sorted).

    Raises ValueError naming a path that does not exist, is not a regular file or folder,
    or a folder without archives. A ``.part`` file (a run still writing, or one that died)
    is never read.
    """
    return files_in(paths, ARCHIVE_NAMES, ".warc.gz, .warc or .wacz file")


def files_in(paths: list[str], patterns: tuple[str, ...], kind: str) -> list[Path]:
    """The files named, folders expanded to the files inside matching ``patterns`` (sorted).

    Raises ValueError naming a path that does not exist, is not a regular file or folder,
    or a folder without such files (``kind`` names them). Inside a folder only regular
    files are read, and a symlink only when it leads to a regular file inside that folder:
    a FIFO or a link to ``/dev/zero`` would never end, a link to ``/etc/passwd`` would be
    read; each one skipped is named in a WARNING line.
    """
    files: list[Path] = []
    for name in paths:
        path = Path(name).expanduser()
        if path.is_dir():
            found = [f for f in sorted({f for pattern in patterns for f in path.rglob(pattern)})
                     if _readable_inside(f, path)]
            if not found:
                raise ValueError(f"{name}: no {kind} in this folder")
            files.extend(found)
        elif path.is_file():
            files.append(path)
        elif path.exists():
            raise ValueError(f"{name}: not a regular file or folder (a device, FIFO or socket)")
        else:
            raise ValueError(f"{name}: no such file or folder")
    return list(dict.fromkeys(files))


def _readable_inside(file: Path, folder: Path) -> bool:
    """Whether an archive found in a folder may be read (said when not)."""
    try:
        target = file.resolve(strict=True)
        regular = stat.S_ISREG(target.stat().st_mode)
    except (OSError, RuntimeError) as error:  # a dangling or looping link
        logger.warning("%s: skipped (%s)", file, getattr(error, "strerror", None) or error)
        return False
    if not regular:
        logger.warning("%s: skipped: not a regular file (a FIFO, a device or a socket)", file)
        return False
    if file.is_symlink() and not target.is_relative_to(folder.resolve()):
        logger.warning("%s: skipped: a link to %s, outside the folder given", file, target)
        return False
    return True
