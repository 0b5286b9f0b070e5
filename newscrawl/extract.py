"""Extract one saved page and print what it yields, as one JSON object.

    python -m newscrawl.extract --url URL FILE.html

For debugging a page and for tests: every item field this single page yields, plus
``page_number`` and ``page_urls`` (all pages of the article, page 1 first).
"""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from newscrawl.pages.record import page_record


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
