"""Benchmark of the cross-run article store (not a test): lookup, insert, bytes per article.

    python bench/store_bench.py [--articles 1000000] [--dir /tmp/newscrawl-store-bench]

Fills a fresh SQLite store the way crawls do (one transaction per run of --batch
articles, each with a URL key, an id key and a SimHash), then times lookups of known
and unknown articles and near-duplicate queries, and the process's memory at a tenth
and at all of the articles (flat: SQLite pages from disk). Prints a table and a JSON line.
"""
from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import statistics
import time
from pathlib import Path

from newscrawl.dedup.store import ExportedArticle, SqliteArticleStore, article_keys


def url_of(n: int) -> str:
    return f"https://www.tribunnews.com/nasional/{7000000 + n}/judul-berita-nomor-{n}-tentang-sesuatu"


def article(n: int, rng: random.Random) -> ExportedArticle:
    return ExportedArticle(article_keys(url_of(n), "www.tribunnews.com", str(7000000 + n)),
                           url_of(n), simhash=rng.getrandbits(64))


def rss_mb() -> float:
    """This process's resident memory now (Linux), in MB."""
    pages = int(Path("/proc/self/statm").read_text().split()[1])
    return round(pages * os.sysconf("SC_PAGE_SIZE") / 2**20, 1)


def timed(fn, samples: list) -> list[float]:
    out = []
    for sample in samples:
        start = time.perf_counter()
        fn(sample)
        out.append((time.perf_counter() - start) * 1e6)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--articles", type=int, default=1_000_000)
    parser.add_argument("--batch", type=int, default=5_000, help="articles per run (transaction)")
    parser.add_argument("--dir", type=Path, default=Path("/tmp/newscrawl-store-bench"))
    args = parser.parse_args()
    shutil.rmtree(args.dir, ignore_errors=True)
    rng = random.Random(7)
    store = SqliteArticleStore(args.dir / "articles.sqlite3")
    start = time.perf_counter()
    rss_at_tenth = None
    for first in range(0, args.articles, args.batch):
        store.record(article(n, rng) for n in range(first, min(first + args.batch, args.articles)))
        if rss_at_tenth is None and first + args.batch >= args.articles // 10:
            rss_at_tenth = rss_mb()
    insert_us = (time.perf_counter() - start) / args.articles * 1e6
    rss_at_all = rss_mb()
    store.db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    size = sum(p.stat().st_size for p in args.dir.iterdir())

    known = [article_keys(url_of(rng.randrange(args.articles))) for _ in range(20_000)]
    unknown = [article_keys(url_of(args.articles + n)) for n in range(20_000)]
    hit = timed(store.knows, known)
    miss = timed(store.knows, unknown)
    near = timed(lambda h: store.near_duplicate_of(h, 3), [rng.getrandbits(64) for _ in range(2_000)])
    store.close()

    def p(values: list[float], q: float) -> float:
        return statistics.quantiles(values, n=100)[int(q) - 1]

    result = {
        "articles": args.articles, "insert_us_per_article": round(insert_us, 1),
        "bytes_per_article": round(size / args.articles, 1), "file_mb": round(size / 2**20, 1),
        "lookup_known_us_median": round(statistics.median(hit), 1), "lookup_known_us_p99": round(p(hit, 99), 1),
        "lookup_unknown_us_median": round(statistics.median(miss), 1),
        "near_duplicate_query_us_median": round(statistics.median(near), 1),
        "near_duplicate_query_us_p99": round(p(near, 99), 1),
        # SQLite pages the store from disk: memory stays flat as the store grows.
        "rss_mb_at_10_percent": rss_at_tenth, "rss_mb_at_100_percent": rss_at_all,
    }
    width = max(map(len, result))
    for key, value in result.items():
        print(f"{key:<{width}}  {value}")
    print(json.dumps(result))


if __name__ == "__main__":
    main()
