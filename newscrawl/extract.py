"""Extract one saved page and print what it yields, as one JSON object.

    python -m newscrawl.extract --url URL FILE.html

For debugging a page and for tests: every item field this single page yields, plus
``page_number`` and ``page_urls`` (all pages of the article, page 1 first).
"""
from __future__ import annotations

import argparse
import json
import sys
from dataclasses import asdict
from pathlib import Path

from newscrawl.items import VERSION_FIELDS, Article
from newscrawl.normalize import content_hash, join_paragraphs, word_count
from newscrawl.pages import extract_article


def page_record(html: str | bytes, url: str) -> dict:
    """The JSON-ready record of one page: item fields, then page_number and page_urls."""
    page = extract_article(html, url)
    body = join_paragraphs(page.paragraphs) or None
    item = Article(**page.fields, body=body, page_count=page.page_count,
                   complete=page.page_count == 1 and page.fields.get("free_access") is not False,
                   word_count=word_count(body), content_hash=content_hash(body))
    fields = {k: v for k, v in asdict(item).items() if k not in VERSION_FIELDS}
    return {**fields, "page_number": page.page_number, "page_urls": page.page_urls}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m newscrawl.extract", description=__doc__.split("\n")[0])
    parser.add_argument("--url", required=True, help="the URL the page was fetched from")
    parser.add_argument("file", type=Path, help="the saved HTML page")
    args = parser.parse_args(argv)
    try:
        html = args.file.read_bytes()
    except OSError as error:
        parser.exit(2, f"{parser.prog}: error: cannot read {args.file}: {error.strerror}\n")
    json.dump(page_record(html, args.url), sys.stdout, ensure_ascii=False, indent=2)
    sys.stdout.write("\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
