"""A shared list of 10^6 articles given back to the crawl (``-a urls_file``): the list of
the README's 10^6-article dataset. Measures, with the project's venv:

1. reading the list (``parse_arguments``): seconds and peak RSS of this process;
2. a real replay of it against the sample archive (two articles: every other one is
   ``gone``), stopped after ``--seconds`` by CLOSESPIDER_TIMEOUT: seconds until the
   spider opened, the crawl's peak RSS, and the sizes of its log, its report and the
   file of gone URLs (a list of 10^6 rows must not make a log or report of tens of MB).

    .venv/bin/python bench/urls_file_bench.py [--rows 1000000] [--seconds 20]
"""
from __future__ import annotations

import argparse
import csv
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from newscrawl.crawl.arguments import parse_arguments  # noqa: E402


def write_list(path: Path, rows: int) -> None:
    with path.open("w", encoding="utf-8", newline="") as out:
        writer = csv.writer(out)
        writer.writerow(["url", "article_id", "published_at", "title", "version", "content_hash"])
        for n in range(rows):
            writer.writerow([f"https://www.tribunnews.com/nasional/{7_000_000 + n}/judul-berita-nomor-{n}",
                             7_000_000 + n, "2026-01-01T10:00:00+07:00", f"Judul berita {n}", 1, f"{n:064x}"])


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--seconds", type=int, default=20)
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="urls-file-bench-"))
    listing = work / "urls.csv"
    write_list(listing, args.rows)
    started = time.perf_counter()
    parsed = parse_arguments({"urls_file": str(listing)}, today=date.today())
    read_s = time.perf_counter() - started
    read_rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024
    assert len(parsed.listed) == args.rows
    del parsed
    env = {**os.environ, "SCRAPY_SETTINGS_MODULE": "newscrawl.settings", "PYTHONPATH": str(REPO)}
    log = work / "crawl.log"
    started = time.perf_counter()
    with log.open("w") as stderr:
        subprocess.run([sys.executable, "-m", "scrapy", "crawl", "tribun", "-a", f"urls_file={listing}",
                        "-a", f"archive={REPO / 'samples'}", "-s", f"CLOSESPIDER_TIMEOUT={args.seconds}"],
                       cwd=work, env=env, stderr=stderr, check=False)
    total_s = time.perf_counter() - started
    crawl_rss = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss // 1024
    text = log.read_text()
    first = next(line for line in text.splitlines() if "Scrapy" in line and "started" in line)[:19]
    opened = next(line for line in text.splitlines() if "Spider opened" in line)[:19]
    to_open = (time.mktime(time.strptime(opened, "%Y-%m-%d %H:%M:%S"))
               - time.mktime(time.strptime(first, "%Y-%m-%d %H:%M:%S")))
    report = next((work / "output").rglob("*.report.json"))
    lists = next((work / "output").rglob("*.listed.json"), None)
    figures = {"rows": args.rows, "read_list_s": round(read_s, 1), "read_list_peak_rss_mb": read_rss,
               "crawl_to_spider_opened_s": to_open, "crawl_total_s": round(total_s, 1),
               "crawl_peak_rss_mb": crawl_rss, "log_mb": round(log.stat().st_size / 2**20, 2),
               "report_kb": round(report.stat().st_size / 1024, 1),
               "listed_json_mb": round(lists.stat().st_size / 2**20, 1) if lists else None,
               "gone": json.loads(report.read_text())["urls_file"]["gone"]}
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
