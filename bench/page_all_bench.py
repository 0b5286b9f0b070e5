"""Requests per article and article pages per second, paging against ``?page=all``
(issue 32, item 4).

A local site of ``--articles`` articles (default 100), a quarter of them 4 pages long, the rest
one page, each multi-page article also served whole at ``?page=all``; every answer waits
``--latency`` seconds (default 0.1: a distant server); the crawls run with the suite's
settings (no AutoThrottle, no delay; the most requests in flight at once, as the server saw
them, is printed). Three crawls of the site's index, each from a fresh state:

- ``off``: every page fetched (as before);
- ``auto``: the first 3 multi-page articles fetched both ways (the proof), the rest from the view;
- ``on``: every multi-page article from page 1 and the view (what a proven site costs).

Requests count article requests only (page 1, later pages, views: the archive's records);
"article pages" are the pages the exported articles hold (25 x 4 + 75 x 1 = 175).

    .venv/bin/python bench/page_all_bench.py [--articles 100] [--latency 0.1] [--rounds 3]
"""
from __future__ import annotations

import argparse
import bisect
import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from tests.conftest import FAST, archived_urls, crawl_env  # noqa: E402
from tests.fixture_site import FixtureSite  # noqa: E402
from tests.sitegen import build_site, index_url  # noqa: E402


def crawl(site: FixtureSite, work: Path, mode: str, per_index_page: int) -> tuple[float, int, int, int]:
    """Seconds, article requests, exported articles, article pages of one crawl."""
    work.mkdir(parents=True)
    stats = work / "stats.json"
    started = time.perf_counter()
    done = subprocess.run([sys.executable, "-m", "scrapy", "crawl", "tribun", *FAST,
                           "-s", f"NEWSCRAWL_PAGE_ALL={mode}",
                           "-s", f"NEWSCRAWL_STATS_FILE={stats}", "-a", f"urls={site.url(index_url())}"],
                          cwd=work, env=crawl_env(), capture_output=True, text=True)
    seconds = time.perf_counter() - started
    if done.returncode != 0:
        raise SystemExit(f"the {mode} crawl failed:\n{done.stderr[-3000:]}")
    items = [json.loads(line) for f in (work / "output").rglob("*.jsonl") for line in f.read_text().splitlines()]
    requests = sum(len(archived_urls(f)) for f in (work / "output").rglob("*.warc.gz"))
    return seconds, requests, len(items), sum(i["page_count"] for i in items)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--articles", type=int, default=100)
    parser.add_argument("--latency", type=float, default=0.1)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder)
        build_site(root / "site", args.articles, pages_mix=(1, 1, 1, 4), per_index_page=args.articles,
                   page_all="whole")
        results: dict[str, list] = {"off": [], "auto": [], "on": []}
        with FixtureSite(root / "site", delay=args.latency) as site:
            for round_ in range(args.rounds):
                for mode in results:  # alternately: the machine's drift spreads over all three
                    results[mode].append(crawl(site, root / f"{mode}-{round_}", mode, args.articles))
            times = sorted(site.times)
            in_flight = max(bisect.bisect_left(times, t + args.latency) - i for i, t in enumerate(times))
    print(f"{args.articles} articles ({args.articles // 4} of 4 pages), {args.latency * 1000:.0f} ms per answer, "
          f"at most {in_flight} requests in flight, median of {args.rounds}:")
    print("| NEWSCRAWL_PAGE_ALL | article requests | per article | per 4-page article | seconds | article pages/s |")
    print("|---|---|---|---|---|---|")
    for mode, runs in results.items():
        seconds = statistics.median(r[0] for r in runs)
        requests, articles, pages = runs[0][1:]
        four = (requests - (articles - articles // 4)) / (articles // 4)  # one-page articles cost 1
        print(f"| `{mode}` | {requests} | {requests / articles:.2f} | {four:.2f} | {seconds:.2f} | {pages / seconds:.1f} |")


if __name__ == "__main__":
    main()
