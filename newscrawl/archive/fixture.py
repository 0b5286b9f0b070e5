"""Turn an archived article into a regression fixture, to be reviewed by a person.

    python -m newscrawl.archive.fixture ARCHIVE URL [--into tests/fixtures/site]

Writes every archived page of the article at URL (``host/path.html``,
``host/path__page=N.html``, as served) into the fixtures, each with its expected record
``.json`` from the current extraction, marked ``"_unreviewed"``. The extraction test
fails on a marked record: a person checks each field against the page as a reader sees
it, corrects the record, and deletes the mark (README "Archive and re-extraction").
"""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from urllib.parse import urlsplit

from newscrawl.archive.index import ArchiveIndex, Capture, url_key
from newscrawl.archive.records import decoded_payload
from newscrawl.crawl.arguments import archive_files
from newscrawl.network.urls import canonical_url, page_number_of, page_url
from newscrawl.pages.article import LISTED_PAGES
from newscrawl.pages.record import page_record

DEFAULT_INTO = Path("tests/fixtures/site")
UNREVIEWED = ("written from the current extraction, not yet reviewed: check every field against the "
              "page as a reader sees it, correct what is wrong, then delete this line")


def fixture_name(url: str) -> Path:
    """The fixture file of a page URL (the layout tests/fixture_site.py serves).

    >>> str(fixture_name("https://www.tribunnews.com/nasional/2020/05/04/a-b?page=2"))
    'www.tribunnews.com/nasional/2020/05/04/a-b__page=2.html'
    """
    parts = urlsplit(url)
    path = parts.path.strip("/") or "index"
    return Path(parts.netloc) / (path + (f"__{parts.query}" if parts.query else "") + ".html")


def fixture_url(name: Path) -> str:
    """The URL a fixture file stands for, as the extraction test reads it (https):
    the inverse of ``fixture_name``.

    >>> fixture_url(Path("www.tribunnews.com/nasional/2020/05/04/a-b__page=2.html"))
    'https://www.tribunnews.com/nasional/2020/05/04/a-b?page=2'
    """
    host, *rest = name.with_suffix("").parts
    return f"https://{host}/" + "/".join(rest).replace("__", "?", 1)


def article_pages(index: ArchiveIndex, url: str) -> list[Capture]:
    """The archived, served (2xx) pages of the article at ``url``, page 1 first."""
    first = canonical_url(url)
    pages = [c for c in index.captures.values()
             if 200 <= c.status < 300 and canonical_url(c.url) == first]
    return sorted(pages, key=lambda c: page_number_of(c.url))


class FixtureError(ValueError):
    """A fixture that cannot be written; one line, naming why."""


def write_fixtures(index: ArchiveIndex, url: str, into: Path, archive_names: str,
                   force: bool = False) -> tuple[list[Path], list[int]]:
    """Write each page and its marked expected record; the page files written and the
    page numbers of the article that the archives lack.

    File names come from the canonical URL of each page only (never a capture's raw
    query), and must stay inside ``into``; a reviewed record (no ``_unreviewed`` mark)
    is never replaced unless ``force``.
    """
    captures = article_pages(index, url)
    planned = []
    for capture in captures:
        number = page_number_of(capture.url)
        name = fixture_name(page_url(canonical_url(capture.url), number))
        page = into / name
        if not page.resolve().is_relative_to(into.resolve()):
            raise FixtureError(f"{capture.url} would be written outside {into}")
        if not force and _reviewed(page.with_suffix(".json")):
            raise FixtureError(f"{page.with_suffix('.json')} is a reviewed record: not replaced (--force replaces it)")
        planned.append((capture, name, page))
    written, count = [], 1
    for capture, name, page in planned:
        headers, raw, _ = index.load(capture)
        body = decoded_payload(headers, raw)
        # The extraction test reads the page at https://<its path>: the record is made so.
        record = page_record(body, fixture_url(name))
        count = max(count, record["page_count"])
        marks = {"_unreviewed": UNREVIEWED,
                 "_provenance": {"url": capture.url, "archived": capture.date, "archive": archive_names}}
        try:
            page.parent.mkdir(parents=True, exist_ok=True)
            page.write_bytes(body)
            page.with_suffix(".json").write_text(json.dumps({**marks, **record}, ensure_ascii=False, indent=2) + "\n",
                                                 encoding="utf-8")
        except OSError as error:
            raise FixtureError(f"cannot write {page}: {error.strerror or error}") from None
        written.append(page)
    have = {page_number_of(capture.url) for capture, _, _ in planned}
    return written, [n for n in range(1, min(count, LISTED_PAGES) + 1) if n not in have] if written else []


def _reviewed(record: Path) -> bool:
    try:
        return "_unreviewed" not in json.loads(record.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return False
    except (OSError, ValueError):
        return True  # not ours to judge: leave it alone


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m newscrawl.archive.fixture", description=__doc__.split("\n")[0])
    parser.add_argument("archive", help="a WARC file or a folder of them (several: comma-separated)")
    parser.add_argument("url", help="the article's URL (any of its pages)")
    parser.add_argument("--into", type=Path, default=DEFAULT_INTO, help=f"fixture folder (default: {DEFAULT_INTO})")
    parser.add_argument("--force", action="store_true", help="replace records already reviewed")
    args = parser.parse_args(argv)
    try:
        files = archive_files([p for p in args.archive.split(",") if p.strip()])
    except ValueError as error:
        parser.exit(2, f"{parser.prog}: error: {error}\n")
    # The article's own host is in scope, as a crawl's -a urls hosts are (a mirror's).
    index = ArchiveIndex.read(files, frozenset({urlsplit(args.url).netloc}))
    if not index.sources:
        print(f"{parser.prog}: warning: {args.archive} holds no WARC file (an empty WACZ?)", file=sys.stderr)
    try:
        written, lacking = write_fixtures(index, args.url, args.into, ", ".join(f.name for f in files), args.force)
    except FixtureError as error:
        parser.exit(1, f"{parser.prog}: error: {error}\n")
    if not written:
        known = url_key(canonical_url(args.url)) in index.captures
        parser.exit(1, f"{parser.prog}: error: {args.url}: "
                       f"{'not served (no 2xx capture)' if known else 'no page of this article'} in the archives\n")
    for page in written:
        print(f"{page}  (+ {page.with_suffix('.json').name}, unreviewed)")
    if lacking:
        print(f"the archives lack page(s) {', '.join(map(str, lacking))} of this article", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
