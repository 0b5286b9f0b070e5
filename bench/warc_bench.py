"""Replay speed on a Common Crawl-shaped archive (a benchmark, not a test).

    .venv/bin/python bench/warc_bench.py                 # ~1 GB, 40,000 records
    .venv/bin/python bench/warc_bench.py --records 4000  # a tenth, for a quick look

Writes one WARC shaped like a Common Crawl file: ``--records`` responses of other hosts
(``--kb`` KB of HTML each, text that compresses about as real pages do) with realistic
Tribun article pages (tests/sitegen.py, 1-4 pages each) spread among them. Then measures,
each in its own process: FastWARC's bare iteration over the file (the floor), the archive
index read by warcio alone and by the fast pass (FastWARC, warcio for damage: records per
second, peak RSS), and the whole replay (``scrapy crawl tribun -a archive=FILE``: articles
exported, records per second, peak RSS).
"""
from __future__ import annotations

import argparse
import io
import json
import random
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "bench"))

from run import ENV, peak_rss  # noqa: E402
from tests.sitegen import build_site  # noqa: E402

WORDS = ("berita pemerintah presiden sepak bola harga pasar saham politik daerah banjir gempa kota "
         "warga sekolah kesehatan teknologi ponsel mobil motor jalan tol kereta pesawat bandara").split()


def text_block(rng: random.Random, size: int) -> bytes:
    """Random words: compresses about 3-4 times, as real HTML does."""
    out, total = [], 0
    while total < size:
        word = rng.choice(WORDS) + (str(rng.randint(0, 999)) if rng.random() < 0.2 else "")
        out.append(word)
        total += len(word) + 1
    return " ".join(out).encode()


def write_archive(path: Path, records: int, kb: int, articles: int, seed: int = 7) -> dict:
    from warcio.statusandheaders import StatusAndHeaders
    from warcio.warcwriter import WARCWriter

    rng = random.Random(seed)
    block = text_block(rng, 8 * 1024 * 1024)
    with tempfile.TemporaryDirectory() as site:
        generated = build_site(Path(site), articles, realistic=True)
        tribun = sorted(Path(site).rglob("artikel-nomor-*.html"))
        pages = [(f"https://www.tribunnews.com/{p.relative_to(Path(site) / 'www.tribunnews.com').with_suffix('')}"
                  .replace("__", "?"), p.read_bytes()) for p in tribun]
    every = max(1, records // max(1, len(pages)))
    html = [("Content-Type", "text/html; charset=UTF-8")]
    with path.open("wb") as out:
        writer = WARCWriter(out, gzip=True, warc_version="WARC/1.1")

        def write(url: str, body: bytes) -> None:
            writer.write_record(writer.create_warc_record(
                url, "response", payload=io.BytesIO(body), warc_headers_dict={"WARC-Date": "2026-11-01T00:00:00Z"},
                http_headers=StatusAndHeaders("200 OK", html, protocol="HTTP/1.1")))

        for n in range(records):
            if n % every == 0 and pages:
                write(*pages.pop())
            else:
                start = rng.randrange(0, len(block) - kb * 1024)
                write(f"https://host{n % 5000}.example/page/{n}",
                      b"<html><body><p>" + block[start:start + kb * 1024] + b"</p></body></html>")
        for url, body in pages:  # what the spacing left over
            write(url, body)
        written = records + len(pages)
    return {"records": written, "articles": len(generated), "tribun_pages": len(tribun),
            "bytes": path.stat().st_size}


def timed(command: list[str], cwd: Path) -> tuple[float, int, str]:
    started = time.perf_counter()
    process = subprocess.Popen(command, cwd=cwd, env=ENV, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    peak = peak_rss(process, time.perf_counter() + 3600)
    stdout, stderr = process.communicate()
    if process.returncode != 0:
        raise RuntimeError(f"{command[:4]} failed:\n{stderr[-3000:]}")
    return time.perf_counter() - started, peak, stdout


INDEX_ONLY = """
import json, sys, time
from pathlib import Path
from newscrawl.archive.index import ArchiveIndex
started = time.perf_counter()
index = ArchiveIndex.of([Path(sys.argv[1])])
index.scanner.fast = sys.argv[2] == "fast"
for number in range(len(index.sources)):
    index.scanner.scan(number)
index.choose()
print(json.dumps({"seconds": time.perf_counter() - started, "records": index.records,
                  "captures": len(index.captures), "other_hosts": index.counts.other_hosts}))
"""

# FastWARC's own iteration, nothing else: the floor for reading the file.
BARE_FASTWARC = """
import json, sys, time
from fastwarc.warc import ArchiveIterator
started, records = time.perf_counter(), 0
with open(sys.argv[1], "rb") as stream:
    for record in ArchiveIterator(stream, parse_http=False):
        records += 1
print(json.dumps({"seconds": time.perf_counter() - started, "records": records}))
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--records", type=int, default=40_000)
    parser.add_argument("--kb", type=int, default=60, help="KB of HTML per other-host record")
    parser.add_argument("--articles", type=int, default=200, help="Tribun articles among them")
    parser.add_argument("--keep", help="write the archive here and keep it; measure it again if it exists")
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="newscrawl-warc-bench-"))
    archive = Path(args.keep) if args.keep else work / "CC-MAIN-bench.warc.gz"
    started = time.perf_counter()
    if archive.exists():  # kept from an earlier run: the same file measured again
        shape = {"records": args.records, "articles": args.articles, "bytes": archive.stat().st_size}
    else:
        shape = write_archive(archive, args.records, args.kb, args.articles)
    print("archive", json.dumps({**shape, "write_seconds": round(time.perf_counter() - started, 1)}), flush=True)

    seconds, peak, stdout = timed([sys.executable, "-c", BARE_FASTWARC, str(archive)], work)
    bare = json.loads(stdout.strip().splitlines()[-1])
    print("bare FastWARC", json.dumps({"seconds": round(bare["seconds"], 2),
                                       "mb_per_s": round(shape["bytes"] / bare["seconds"] / 1e6, 1)}), flush=True)
    seconds, peak, stdout = timed([sys.executable, "-c", INDEX_ONLY, str(archive), "warcio"], work)
    slow = json.loads(stdout.strip().splitlines()[-1])
    print("index, warcio alone", json.dumps({"seconds": round(slow["seconds"], 2),
                                             "mb_per_s": round(shape["bytes"] / slow["seconds"] / 1e6, 1)}), flush=True)
    seconds, peak, stdout = timed([sys.executable, "-c", INDEX_ONLY, str(archive), "fast"], work)
    index = json.loads(stdout.strip().splitlines()[-1])
    result = {"bare_fastwarc_seconds": round(bare["seconds"], 2), "warcio_index_seconds": round(slow["seconds"], 2),
              "index_seconds": round(index["seconds"], 2), "index_records_per_s": round(shape["records"] / index["seconds"]),
              "index_mb_per_s": round(shape["bytes"] / index["seconds"] / 1e6, 1),
              "index_peak_rss_mb": round(peak / 1e6, 1), "tribun_captures": index["captures"]}
    print("index", json.dumps(result), flush=True)

    stats_file = work / "stats.json"
    seconds, peak, _ = timed([sys.executable, "-m", "scrapy", "crawl", "tribun", "-a", f"archive={archive}",
                              "-s", "LOG_LEVEL=WARNING", "-s", f"NEWSCRAWL_STATS_FILE={stats_file}",
                              "-O", str(work / "replayed.jsonl")], work)
    stats = json.loads(stats_file.read_text())
    replay = {"replay_seconds": round(seconds, 2), "exported": stats.get("item_scraped_count", 0),
              "records_per_s": round(shape["records"] / seconds), "replay_peak_rss_mb": round(peak / 1e6, 1)}
    print("replay", json.dumps(replay), flush=True)
    seconds, peak, _ = timed([sys.executable, "-m", "scrapy", "crawl", "tribun", "-a", f"archive={archive}",
                              "-a", "workers=2", "-s", "LOG_LEVEL=WARNING", "-s", f"NEWSCRAWL_STATS_FILE={stats_file}",
                              "-O", str(work / "replayed-2.jsonl")], work)
    replay["workers_2_seconds"] = round(seconds, 2)
    replay["workers_2_exported"] = json.loads(stats_file.read_text()).get("item_scraped_count", 0)
    print("replay, -a workers=2", json.dumps({"seconds": replay["workers_2_seconds"],
                                              "of_one_process": round(seconds / replay["replay_seconds"], 2)}),
          flush=True)
    print(json.dumps({**shape, **result, **replay}))
    shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
