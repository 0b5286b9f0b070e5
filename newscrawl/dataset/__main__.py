"""``python -m newscrawl.dataset OUTPUT... DATASET``: see newscrawl/dataset/__init__.py."""
from __future__ import annotations

import argparse
import logging
import sys
from pathlib import Path

from newscrawl.dataset.build import Options, build
from newscrawl.dataset.inputs import DatasetError

FAILED_EXIT = 1  # nothing built; the old dataset, if any, is as it was


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m newscrawl.dataset",
        description="Build (or bring up to date) a Parquet dataset from crawl runs' JSONL files.")
    parser.add_argument("sources", nargs="+", metavar="OUTPUT", help="a run's JSONL file, or a folder of them")
    parser.add_argument("dataset", metavar="DATASET", help="the dataset folder (written aside, then swapped in)")
    parser.add_argument("--all-versions", action="store_true", help="keep every version, not only the latest")
    parser.add_argument("--drop-copies", action="store_true", help="leave out syndicated copies (duplicate_of set)")
    parser.add_argument("--share", action="store_true", help="also write urls.csv, the list without texts")
    parser.add_argument("--full", action="store_true", help="rebuild every partition from all the inputs")
    parser.add_argument("--purpose", default=Options.purpose,
                        help="what the dataset is shared for, said in its card (default: %(default)s)")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(levelname)s: %(message)s")
    options = Options(args.all_versions, args.drop_copies, args.share, args.full, args.purpose)
    dest = Path(args.dataset)
    try:
        outcome = build(args.sources, dest, options)
    except DatasetError as error:
        print(f"python -m newscrawl.dataset: error: {error}; nothing was changed", file=sys.stderr)
        return FAILED_EXIT
    except OSError as error:
        print(f"python -m newscrawl.dataset: error: {error.filename or dest}: {error.strerror or error}; "
              "nothing was changed", file=sys.stderr)
        return FAILED_EXIT
    full = f" (in full: {outcome.full_reason})" if outcome.full_reason else ""
    print(f"{dest}: {outcome.articles:,} rows in {outcome.partitions} partitions, {outcome.rewritten} written and "
          f"{outcome.kept} kept, from {outcome.files_read} new input file(s){full}", file=sys.stderr)
    if outcome.unreadable_dates:
        print(f"{dest}: {outcome.unreadable_dates} date(s) of the inputs are not ISO 8601 with an offset in the years "
              "1900-2100 (a CMS default such as 0001-01-01?): set to null, their articles kept", file=sys.stderr)
    if outcome.renumbered:
        print(f"{dest}: {outcome.renumbered} row(s) of the inputs carried another version number than their capture "
              "order gives (a replay with a fresh state numbers from 1): numbered by content and capture time",
              file=sys.stderr)
    if outcome.shared_again:
        print(f"{dest}: urls.csv written again, as the last build shared it (delete it to stop sharing)",
              file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
