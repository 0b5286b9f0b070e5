"""Benchmark (not a test) of distributed mode: 1, 2 and 4 workers on one Redis frontier.

    python bench/workers_bench.py [--articles 800] [--latency 0.02] [--workers 1,2,4]

Builds a local mirror of synthetic articles (tests/sitegen.py: 1-, 2- and 4-page
articles of ~60 KB pages), serves it on 127.0.0.1 with a per-request latency, starts a
private redis-server, and for each worker count crawls the whole mirror with that many
`scrapy crawl tribun` processes (fast profile). Reports the time until the last article
was exported and the articles per second, as a table and a JSON line.
"""
from __future__ import annotations

import argparse
import json
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from datetime import datetime
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from tests.conftest import crawl_env  # noqa: E402
from tests.fixture_site import FixtureSite  # noqa: E402
from tests.sitegen import build_site, index_url  # noqa: E402


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def crawl(workers: int, site: FixtureSite, redis_url: str, work: Path) -> dict:
    import redis

    redis.Redis.from_url(redis_url).flushdb()
    started = time.time()
    procs = []
    for n in range(workers):
        folder = work / f"{workers}-workers" / f"w{n}"
        folder.mkdir(parents=True)
        procs.append(subprocess.Popen(
            [sys.executable, "-m", "scrapy", "crawl", "tribun", "-s", "NEWSCRAWL_PROFILE=fast",
             "-s", f"REDIS_URL={redis_url}", "-s", f"NEWSCRAWL_WORKER=w{n}", "-s", "NEWSCRAWL_IDLE_TIMEOUT=1",
             "-s", "LOG_LEVEL=WARNING", "-a", f"urls={site.url(index_url())}"],
            cwd=folder, env=crawl_env(), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
    for proc in procs:
        proc.wait()
    items = [json.loads(line) for f in (work / f"{workers}-workers").rglob("*.jsonl")
             for line in f.read_text().splitlines()]
    last = max(datetime.fromisoformat(i["crawled_at"]).timestamp() for i in items)
    seconds = max(last - started, 1e-9)
    return {"workers": workers, "articles": len(items), "unique": len({i["url"] for i in items}),
            "seconds_to_last_article": round(seconds, 1), "articles_per_second": round(len(items) / seconds, 1)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--articles", type=int, default=800)
    parser.add_argument("--latency", type=float, default=0.02, help="seconds the server waits per request")
    parser.add_argument("--workers", default="1,2,4")
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="newscrawl-workers-bench-"))
    build_site(work / "site", args.articles, padding_kb=50)
    port = free_port()
    redis_server = subprocess.Popen(["redis-server", "--port", str(port), "--save", "", "--appendonly", "no"],
                                    stdout=subprocess.DEVNULL)
    time.sleep(0.5)
    results = []
    try:
        with FixtureSite(work / "site", delay=args.latency) as site:
            for workers in map(int, args.workers.split(",")):
                results.append(crawl(workers, site, f"redis://127.0.0.1:{port}/0", work))
                print(f"{workers} worker(s): {results[-1]}", flush=True)
    finally:
        redis_server.terminate()
        shutil.rmtree(work, ignore_errors=True)
    print(f"{'workers':>8} {'articles':>9} {'seconds':>8} {'articles/s':>11}")
    for r in results:
        print(f"{r['workers']:>8} {r['articles']:>9} {r['seconds_to_last_article']:>8} {r['articles_per_second']:>11}")
    print(json.dumps({"articles": args.articles, "latency": args.latency, "results": results}))


if __name__ == "__main__":
    main()
