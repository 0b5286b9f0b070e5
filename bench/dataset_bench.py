"""How fast and how lean ``python -m newscrawl.dataset`` builds a dataset from a folder of runs.

    python bench/dataset_bench.py [--articles 1000000] [--files 3000] [--keep DIR]

Writes two months of generated cron runs (tests/rungen.py: JSONL as newscrawl writes it,
bodies of about 3 KB, 60 sites, 5% of the articles in a second version in a later run, 3%
marked as copies), then times the build in a child process and reads its peak RSS; then
adds 1% more runs and times the incremental rebuild. The figures are in the README
("Building a dataset").
"""
from __future__ import annotations

import argparse
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
from tests.rungen import write_runs  # noqa: E402


def timed_build(output: Path, dataset: Path, *args: str) -> tuple[float, float, str]:
    """Wall seconds, the child's peak RSS in MB, and its summary line."""
    started = time.perf_counter()
    done = subprocess.run([sys.executable, "-m", "newscrawl.dataset", str(output), str(dataset), *args],
                          cwd=REPO, capture_output=True, text=True)
    wall = time.perf_counter() - started
    if done.returncode:
        sys.exit(done.stderr)
    rss = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    return wall, rss, done.stderr.strip().splitlines()[-1]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--articles", type=int, default=1_000_000)
    parser.add_argument("--files", type=int, default=3000)
    parser.add_argument("--keep", type=Path, help="work in this folder and leave it")
    args = parser.parse_args()
    work = args.keep or Path(tempfile.mkdtemp(prefix="dataset-bench-"))
    output, dataset = work / "output", work / "dataset"
    per_file = args.articles // args.files
    try:
        started = time.perf_counter()
        lines = write_runs(output, args.files, per_file)
        size = sum(f.stat().st_size for f in output.glob("*.jsonl"))
        print(f"input: {lines:,} lines ({args.articles:,} articles and their second versions) in {args.files:,} "
              f"files, {size / 1e9:.2f} GB, written in {time.perf_counter() - started:.0f} s")
        wall, rss, said = timed_build(output, dataset)
        print(f"full build: {wall:.1f} s, {size / 1e6 / wall:.0f} MB/s, peak RSS {rss:.0f} MB\n  {said}")
        more = max(1, args.files // 100)
        write_runs(output, more, per_file, first=args.files * per_file)
        wall, rss2, said = timed_build(output, dataset)
        print(f"incremental rebuild after {more} more run files: {wall:.1f} s\n  {said}")
        on_disk = sum(f.stat().st_size for f in (dataset / "articles").rglob("*.parquet"))
        print(f"dataset: {on_disk / 1e9:.2f} GB of Parquet ({on_disk / size:.0%} of the JSONL)")
    finally:
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
