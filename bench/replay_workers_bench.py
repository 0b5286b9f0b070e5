"""A replay in one process against ``-a workers=2`` on the same archive, in one run.

    python bench/replay_workers_bench.py [--records 12000] [--articles 40] [--files 4] [--rounds 7] [--archives DIR]

The archive: ``--files`` WARC files holding ``--records`` responses of other hosts in all
(60 KB of HTML each, as in bench/warc_bench.py) and ``--articles`` four-page Tribun articles
(tests/sitegen.py, realistic pages of ~120 KB) whose pages are spread over the files: page N
of article A in file (A + N) mod files. Each replay runs ``--rounds`` times, alternating, and
the best and the median wall times of each are compared (README "Replay on every core").
"""
from __future__ import annotations

import argparse
import io
import json
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "bench"))

from run import ENV  # noqa: E402
from tests.sitegen import build_site  # noqa: E402
from warc_bench import text_block  # noqa: E402


def write_archives(folder: Path, records: int, articles: int, files: int, kb: int = 60) -> dict:
    from warcio.statusandheaders import StatusAndHeaders
    from warcio.warcwriter import WARCWriter

    rng = random.Random(7)
    block = text_block(rng, 8 * 1024 * 1024)
    with tempfile.TemporaryDirectory() as site:
        build_site(Path(site), articles, pages_mix=(4,), realistic=True)
        root = Path(site) / "www.tribunnews.com"
        pages = [(f"https://www.tribunnews.com/{p.relative_to(root).with_suffix('')}".replace("__", "?"),
                  p.read_bytes()) for p in sorted(root.rglob("artikel-nomor-*.html"))]
    html = [("Content-Type", "text/html; charset=UTF-8")]
    per_file: list[list[tuple[str, bytes]]] = [[] for _ in range(files)]
    for url, body in pages:
        number = int(url.split("?page=")[1]) if "?page=" in url else 1
        article = int(url.split("artikel-nomor-")[1].split("?")[0])
        per_file[(article + number) % files].append((url, body))
    folder.mkdir(parents=True, exist_ok=True)
    for n in range(files):
        with (folder / f"capture-{n}.warc.gz").open("wb") as out:
            writer = WARCWriter(out, gzip=True, warc_version="WARC/1.1")
            tribun = per_file[n]
            others = records // files
            every = max(1, others // max(1, len(tribun)))
            for r in range(others):
                if r % every == 0 and tribun:
                    url, body = tribun.pop()
                else:
                    start = rng.randrange(0, len(block) - kb * 1024)
                    url = f"https://host{r % 5000}.example/{n}/page/{r}"
                    body = b"<html><body><p>" + block[start:start + kb * 1024] + b"</p></body></html>"
                writer.write_record(writer.create_warc_record(
                    url, "response", payload=io.BytesIO(body), http_headers=StatusAndHeaders("200 OK", html, "HTTP/1.1"),
                    warc_headers_dict={"WARC-Date": "2026-11-01T00:00:00Z"}))
            for url, body in tribun:
                writer.write_record(writer.create_warc_record(
                    url, "response", payload=io.BytesIO(body), http_headers=StatusAndHeaders("200 OK", html, "HTTP/1.1"),
                    warc_headers_dict={"WARC-Date": "2026-11-01T00:00:00Z"}))
    size = sum(f.stat().st_size for f in folder.glob("*.warc.gz"))
    return {"files": files, "records": records + len(pages), "tribun_pages": len(pages), "bytes": size}


def replay(archives: Path, out: Path, *extra: str) -> tuple[float, int]:
    out.unlink(missing_ok=True)
    started = time.perf_counter()
    done = subprocess.run([sys.executable, "-m", "scrapy", "crawl", "tribun", "-a", f"archive={archives}",
                           "-s", "LOG_LEVEL=WARNING", "-O", str(out), *extra],
                          cwd=out.parent, env=ENV, capture_output=True, text=True)
    wall = time.perf_counter() - started
    if done.returncode:
        sys.exit(f"replay {extra} failed ({done.returncode}):\n{done.stderr[-3000:]}")
    return wall, sum(1 for _ in out.open())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--records", type=int, default=12_000)
    parser.add_argument("--articles", type=int, default=40)
    parser.add_argument("--files", type=int, default=4)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--archives", type=Path, help="reuse this folder of archives (written there if empty)")
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="newscrawl-workers-bench-"))
    archives = args.archives or work / "archives"
    try:
        if not list(archives.glob("*.warc.gz")):
            shape = write_archives(archives, args.records, args.articles, args.files)
            print("archive", json.dumps(shape), flush=True)
        one, many = [], []
        for _ in range(args.rounds):
            wall, exported = replay(archives, work / "one.jsonl")
            one.append(wall)
            assert exported == args.articles, exported
            wall, exported = replay(archives, work / "many.jsonl", "-a", f"workers={args.workers}")
            many.append(wall)
            assert exported == args.articles, exported
            print(f"one process {one[-1]:.2f} s, {args.workers} workers {many[-1]:.2f} s", flush=True)
        print(json.dumps({"rounds": args.rounds, "workers": args.workers,
                          "one_process_best_s": round(min(one), 2), "workers_best_s": round(min(many), 2),
                          "ratio_best": round(min(many) / min(one), 3),
                          "one_process_median_s": round(statistics.median(one), 2),
                          "workers_median_s": round(statistics.median(many), 2),
                          "ratio_median": round(statistics.median(many) / statistics.median(one), 3)}))
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
