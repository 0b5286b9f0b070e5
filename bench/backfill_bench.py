"""The rates a Tribun backfill from Common Crawl is planned with (README "A ten-year backfill").

    python bench/backfill_bench.py [--articles 400] [--cc-records 10000] [--fastwarc-python PATH]

Measures, on this machine, each in its own process:
1. **Replay of byte-range captures**: an archive that holds only Tribun pages (``--articles``
   four-page articles of genuine size, tests/sitegen.py ``realistic``), as the records fetched
   by byte range from Common Crawl are: the index alone (records/s, MB/s), then the whole
   replay in one process, with ``-a workers=2``, and as a distributed replay of two workers on
   this machine through a private redis-server (pages/s, startup included; the distributed
   workers' 1 s idle wait at the end left out): the shared frontier's own cost.
2. **Indexing whole Common Crawl files**: ``--cc-records`` records of other hosts (60 KB of HTML
   each, bench/warc_bench.py's) with a few Tribun pages: records/s and MB/s of our index, and, with
   ``--fastwarc-python`` (a Python with FastWARC 2.0.1 installed), FastWARC's own iteration over
   the same file, to see what it would save.
The network part of a backfill, the byte-range fetch itself, cannot be measured here (no
internet): the README's plan keeps it as the one unmeasured term.
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
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "bench"))

from replay_workers_bench import write_archives  # noqa: E402
from run import ENV  # noqa: E402

INDEX_ONLY = """
import json, sys, time
from pathlib import Path
from newscrawl.archive.index import ArchiveIndex
started = time.perf_counter()
index = ArchiveIndex.read(sorted(Path(sys.argv[1]).glob("*.warc.gz")))
print(json.dumps({"seconds": time.perf_counter() - started, "records": index.records}))
"""
FASTWARC = """
import json, sys, time
from pathlib import Path
from fastwarc.warc import ArchiveIterator, WarcRecordType
started, records = time.perf_counter(), 0
for path in sorted(Path(sys.argv[1]).glob("*.warc.gz")):
    with open(path, "rb") as stream:
        for record in ArchiveIterator(stream, record_types=WarcRecordType.response, parse_http=False):
            records += 1
print(json.dumps({"seconds": time.perf_counter() - started, "records": records}))
"""


def timed_json(command: list[str]) -> dict:
    done = subprocess.run(command, cwd=REPO, env=ENV, capture_output=True, text=True)
    if done.returncode:
        sys.exit(done.stderr[-3000:])
    return json.loads(done.stdout.strip().splitlines()[-1])


def replay_seconds(archives: Path, out: Path, *extra: str) -> float:
    started = time.perf_counter()
    done = subprocess.run([sys.executable, "-m", "scrapy", "crawl", "tribun", "-a", f"archive={archives}",
                           "-s", "LOG_LEVEL=WARNING", "-O", str(out), *extra], cwd=out.parent, env=ENV,
                          capture_output=True, text=True)
    if done.returncode:
        sys.exit(done.stderr[-3000:])
    return time.perf_counter() - started


IDLE = 1.0  # NEWSCRAWL_IDLE_TIMEOUT of the distributed workers: how long they wait once the frontier is empty


def distributed_replay_seconds(archives: Path, work: Path, workers: int, articles: int) -> float:
    """A distributed replay (REDIS_URL) with ``workers`` processes on this machine and a
    private redis-server: wall time until the last worker ends, less its idle wait."""
    import redis

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    server = subprocess.Popen([shutil.which("redis-server") or sys.exit("redis-server is not installed"),
                               "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
                              stdout=subprocess.DEVNULL)
    url = f"redis://127.0.0.1:{port}/0"
    try:
        for _ in range(100):
            try:
                redis.Redis.from_url(url).ping()
                break
            except redis.ConnectionError:
                time.sleep(0.05)
        outputs = [work / f"distributed-{n}.jsonl" for n in range(workers)]
        started = time.perf_counter()
        procs = [subprocess.Popen([sys.executable, "-m", "scrapy", "crawl", "tribun", "-a", f"archive={archives}",
                                   "-s", f"REDIS_URL={url}", "-s", f"NEWSCRAWL_WORKER=w{n}",
                                   "-s", f"NEWSCRAWL_IDLE_TIMEOUT={IDLE}", "-s", "LOG_LEVEL=WARNING", "-O", str(out)],
                                  cwd=work, env=ENV, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
                 for n, out in enumerate(outputs)]
        errors = [proc.communicate()[1] for proc in procs]
        seconds = time.perf_counter() - started - IDLE
        if any(proc.returncode for proc in procs):
            sys.exit(errors[-1][-3000:])
        exported = sum(1 for out in outputs for _ in out.open())
        if exported != articles:
            sys.exit(f"the distributed replay exported {exported} articles, not {articles}")
        return seconds
    finally:
        server.terminate()
        server.wait()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--articles", type=int, default=400)
    parser.add_argument("--cc-records", type=int, default=10_000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--fastwarc-python", help="a Python with fastwarc installed")
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="newscrawl-backfill-bench-"))
    try:
        tribun = work / "tribun"
        shape = write_archives(tribun, 0, args.articles, 4)
        pages = shape["tribun_pages"]
        index = timed_json([sys.executable, "-c", INDEX_ONLY, str(tribun)])
        one = min(replay_seconds(tribun, work / "one.jsonl") for _ in range(args.rounds))
        two = min(replay_seconds(tribun, work / "two.jsonl", "-a", "workers=2") for _ in range(args.rounds))
        spread = min(distributed_replay_seconds(tribun, work, 2, args.articles) for _ in range(args.rounds))
        result = {"tribun_only": {"pages": pages, "mb": round(shape["bytes"] / 1e6, 1),
                                  "index_records_per_s": round(pages / index["seconds"]),
                                  "index_mb_per_s": round(shape["bytes"] / 1e6 / index["seconds"], 1),
                                  "replay_1_s": round(one, 2), "pages_per_s_1": round(pages / one),
                                  "replay_2_workers_s": round(two, 2), "pages_per_s_2": round(pages / two),
                                  "replay_2_distributed_s": round(spread, 2),
                                  "pages_per_s_2_distributed": round(pages / spread)}}
        print(json.dumps(result), flush=True)
        cc = work / "cc"
        shape = write_archives(cc, args.cc_records, 4, 1)
        ours = timed_json([sys.executable, "-c", INDEX_ONLY, str(cc)])
        result["whole_cc_file"] = {"records": shape["records"], "mb": round(shape["bytes"] / 1e6, 1),
                                   "index_records_per_s": round(shape["records"] / ours["seconds"]),
                                   "index_mb_per_s": round(shape["bytes"] / 1e6 / ours["seconds"], 1)}
        if args.fastwarc_python:
            fast = timed_json([args.fastwarc_python, "-c", FASTWARC, str(cc)])
            result["whole_cc_file"]["fastwarc_records_per_s"] = round(fast["records"] / fast["seconds"])
            result["whole_cc_file"]["fastwarc_mb_per_s"] = round(shape["bytes"] / 1e6 / fast["seconds"], 1)
        print(json.dumps(result, indent=1))
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
