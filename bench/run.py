"""newscrawl's benchmarks (not tests): crawl throughput, extraction cost, memory, store.

    python3 -m venv .bench-venv && .bench-venv/bin/pip install -r bench/requirements.txt
    .bench-venv/bin/python bench/run.py            # all of it (about 15 minutes on 2 cores)
    .bench-venv/bin/python bench/run.py --quick    # smaller sizes, a few minutes

Builds a local mirror of realistic articles (tests/sitegen.py: ~120 KB pages with menus,
sidebars, ads and scripts; 1-, 2- and 4-page articles), serves it with nginx on
127.0.0.1, and measures:
1. crawl throughput: `scrapy crawl tribun` (extraction, pipelines, JSONL export,
   politeness off) against bench/null_spider.py over the same pages, run alternately,
   and against bench/parse_spider.py (the null spider plus lxml's parse of each page,
   inline or in a worker process): the bound for any spider that reads the pages;
2. the web archive's cost: the same crawl with the archive on (the default) and off,
   alternately; its bytes stored per article page;
3. extraction CPU time per page: ours, lxml's parse alone, trafilatura, newspaper4k;
4. peak RSS (VmHWM) of crawls of growing size;
5. the cross-run store at --store-articles (bench/store_bench.py).
Prints each part's figures as it finishes, then a table of all of them and, last, one
JSON line with every figure (for scripts).
"""
from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from tests.sitegen import build_site  # noqa: E402

ENV = {**os.environ, "SCRAPY_SETTINGS_MODULE": "newscrawl.settings", "PYTHONPATH": str(REPO)}
NGINX = """daemon off; worker_processes 1; pid {tmp}/nginx.pid; error_log {tmp}/nginx-error.log;
events {{ worker_connections 1024; }}
http {{ access_log off; default_type "text/html; charset=utf-8"; types {{ application/xml xml; text/plain txt; }}
  map $args $suffix {{ "" ""; default "__$args"; }}
  server {{ listen 127.0.0.1:{port}; root {root};
    location / {{ try_files $uri$suffix.html $uri$suffix $uri =404; }} }} }}
"""


def free_port() -> int:
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class Mirror:
    """A generated site served by nginx at ``self.base``."""

    def __init__(self, work: Path, articles: int, realistic: bool) -> None:
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.root = work / f"mirror-{articles}"
        build_site(self.root, articles, base_url=self.base, realistic=realistic, per_index_page=50)
        self.site = self.root / "www.tribunnews.com"
        config = work / f"nginx-{self.port}.conf"
        config.write_text(NGINX.format(tmp=work, port=self.port, root=self.site))
        self.nginx = subprocess.Popen(["nginx", "-c", str(config), "-p", str(work)], stderr=subprocess.DEVNULL)
        time.sleep(0.3)

    def index(self) -> str:
        return f"{self.base}/index-news?date=2024-5-1"

    def urls(self) -> list[str]:
        """Every page a crawl of the index requests, robots.txt aside."""
        urls = []
        for path in sorted(self.site.rglob("*.html")):
            relative = str(path.relative_to(self.site))[:-5]
            urls.append(f"{self.base}/{relative.replace('__', '?', 1)}")
        return urls

    def pages(self) -> list[Path]:
        return sorted(self.site.rglob("artikel-nomor-*.html"))

    def close(self) -> None:
        self.nginx.send_signal(signal.SIGQUIT)
        self.nginx.wait(timeout=10)


# A benchmark that can hang is no benchmark: any one crawl it starts gets this long (seconds).
RUN_TIMEOUT = 900


def scrapy_run(args: list[str], cwd: Path) -> tuple[float, dict]:
    """Run a scrapy command; its wall time and final stats (with ``bench/peak_rss_bytes``)."""
    stats_file = cwd / "stats.json"
    stats_file.unlink(missing_ok=True)
    cwd.mkdir(parents=True, exist_ok=True)
    command = [sys.executable, "-m", "scrapy", *args, "-s", "NEWSCRAWL_PROFILE=fast", "-s", "LOG_LEVEL=WARNING",
               "-s", f"NEWSCRAWL_STATS_FILE={stats_file}", "-s", "NEWSCRAWL_INCREMENTAL=0"]
    started = time.perf_counter()
    process = subprocess.Popen(command, cwd=cwd, env=ENV, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                               text=True)
    peak = peak_rss(process, started + RUN_TIMEOUT)
    try:
        stderr = process.communicate(timeout=max(1.0, started + RUN_TIMEOUT - time.perf_counter()))[1]
    except subprocess.TimeoutExpired:
        process.kill()
        stderr = process.communicate()[1]
        raise RuntimeError(f"{' '.join(args[:2])} did not finish in {RUN_TIMEOUT} s: killed\n{stderr[-3000:]}")
    seconds = time.perf_counter() - started
    if process.returncode != 0 or not stats_file.exists() or "Traceback" in stderr:
        raise RuntimeError(f"{' '.join(args[:2])} failed ({process.returncode}):\n{stderr[-3000:]}")
    return seconds, {**json.loads(stats_file.read_text()), "bench/peak_rss_bytes": peak}


def peak_rss(process: subprocess.Popen, deadline: float) -> int:
    """The process's peak RSS (VmHWM), read until it exits.

    Not Scrapy's memusage stats: they read getrusage's ru_maxrss, which Linux carries
    over from the parent across fork and exec, so a crawl started by a big parent (this
    script, holding a 20k-article mirror) reports the parent's size.
    """
    peak = 0
    status = Path(f"/proc/{process.pid}/status")
    while process.poll() is None and time.perf_counter() < deadline:
        try:
            line = next(l for l in status.read_text().splitlines() if l.startswith("VmHWM:"))
            peak = max(peak, int(line.split()[1]) * 1024)
        except (FileNotFoundError, StopIteration, ProcessLookupError):
            break
        time.sleep(0.05)
    return peak


def throughput(mirror: Mirror, work: Path, rounds: int) -> dict:
    manifest = work / "urls.txt"
    manifest.write_text("\n".join(mirror.urls()))
    # The parse-only spider bounds any spider that reads the pages: lxml's parse and
    # nothing else, on the crawl's thread or in a worker process on the other core.
    baselines = {"null": ["runspider", str(REPO / "bench" / "null_spider.py"), "-a", f"manifest={manifest}"],
                 "parse_only": ["runspider", str(REPO / "bench" / "parse_spider.py"), "-a", f"manifest={manifest}"],
                 "parse_only_in_a_worker": ["runspider", str(REPO / "bench" / "parse_spider.py"),
                                            "-a", f"manifest={manifest}", "-a", "processes=1"]}
    times: dict[str, list[float]] = {"tribun": [], **{name: [] for name in baselines}}
    items = 0
    for n in range(rounds):
        seconds, stats = scrapy_run(["crawl", "tribun", "-a", f"urls={mirror.index()}",
                                     "-O", str(work / f"t{n}.jsonl")], work / f"tribun-{n}")
        times["tribun"].append(seconds)
        items = stats.get("item_scraped_count", 0)
        if not items:
            raise RuntimeError(f"the tribun crawl exported nothing: {json.dumps(stats)[:2000]}")
        for name, args in baselines.items():
            times[name].append(scrapy_run(args, work / f"{name}-{n}")[0])
    median = {name: statistics.median(values) for name, values in times.items()}
    return {"pages": len(mirror.urls()), "articles": items, "tribun_seconds": round(median["tribun"], 2),
            "null_seconds": round(median["null"], 2), "ratio": round(median["tribun"] / median["null"], 2),
            **{f"{name}_seconds": round(median[name], 2) for name in baselines if name != "null"},
            **{f"{name}_ratio": round(median[name] / median["null"], 2) for name in baselines if name != "null"},
            "runs": {k: [round(x, 2) for x in v] for k, v in times.items()}}


def archive_cost(mirror: Mirror, work: Path, rounds: int) -> dict:
    """The crawl with the web archive on (the default) and off, alternately: the slowdown
    (medians) and the archive's bytes per article page."""
    times: dict[str, list[float]] = {"on": [], "off": []}
    stored = []
    for n in range(rounds):
        for mode, extra in (("on", []), ("off", ["-s", "NEWSCRAWL_ARCHIVE=0"])):
            seconds, stats = scrapy_run(["crawl", "tribun", *extra, "-a", f"urls={mirror.index()}",
                                         "-O", str(work / f"archive-{mode}-{n}.jsonl")], work / f"archive-{mode}-{n}")
            times[mode].append(seconds)
            if mode == "on":
                stored.append(stats["newscrawl/archive/bytes"] / stats["newscrawl/archive/responses"])
    on, off = statistics.median(times["on"]), statistics.median(times["off"])
    return {"pages": len(mirror.urls()), "on_seconds": round(on, 2), "off_seconds": round(off, 2),
            "slowdown": round(on / off - 1, 3), "bytes_per_page": round(statistics.mean(stored)),
            "genuine_page_bytes": len(GENUINE.read_bytes()), "genuine_bytes_per_page": genuine_archived(work),
            "page_bytes": round(statistics.mean(len(p.read_bytes()) for p in mirror.pages())),
            "runs": {k: [round(x, 2) for x in v] for k, v in times.items()}}


def genuine_archived(work: Path) -> int:
    """The bytes the genuine page takes in an archive (its response and request records,
    with the headers a crawl stores): synthetic pages repeat themselves and compress better."""
    from newscrawl.network.identity import user_agent
    from newscrawl.archive.warcfile import Exchange, WarcFile

    path = work / "genuine.warc.gz"
    archive = WarcFile(str(path), 6, path.name, {"software": "bench"})
    empty = path.stat().st_size
    headers = [("Content-Type", "text/html; charset=UTF-8"), ("Server", "nginx"), ("Date", "Tue, 01 Dec 2026 03:00:00 GMT")]
    archive.write(Exchange(GENUINE_URL, "2026-12-01T03:00:00.000000Z", "127.0.0.1", "HTTP/1.1", 200, headers,
                           GENUINE.read_bytes(), [("User-Agent", user_agent()), ("Accept-Encoding", "gzip, deflate")]))
    archive.close()
    return path.stat().st_size - empty


def cpu_ms(functions: dict, pages: list[tuple[bytes, str]]) -> dict:
    """CPU per page of each function, median and p95. Interleaved (every function on a page,
    then the next page), so a machine whose speed drifts (a shared or throttled CPU) skews
    no function against another: the ratios stay fair."""
    costs: dict[str, list[float]] = {name: [] for name in functions}
    for html, url in pages:
        for name, function in functions.items():
            started = time.process_time()
            function(html, url)
            costs[name].append((time.process_time() - started) * 1000)
    return {name: {"median_ms": round(statistics.median(c), 2),
                   "p95_ms": round(statistics.quantiles(c, n=20)[18], 2)} for name, c in costs.items()}


# The one genuine Tribun page we have (tests/fixtures/REAL-PAGES.md): real markup costs
# what synthetic pages may not (its sidebars, scripts and pager widgets).
GENUINE_URL = ("https://www.tribunnews.com/pendidikan/2020/05/04/"
               "jawaban-soal-apa-dampak-negatif-jika-menunda-pekerjaan-belajar-dari-rumah-sma-di-tvri")
GENUINE = REPO / "tests" / "fixtures" / "site" / "www.tribunnews.com" / (GENUINE_URL.split(".com/")[1] + ".html")
# The genuine 2015 page (the 2012-19 template: the date box's text, credits by their labels).
GENUINE_2015_URL = ("https://www.tribunnews.com/metropolitan/2015/06/19/"
                    "kadishub-dki-taksi-uber-tak-punya-izin-operasi-uji-kir-tidak-berargo-dan-bermahkota")
GENUINE_2015 = REPO / "tests" / "fixtures" / "site" / "www.tribunnews.com" / (
    GENUINE_2015_URL.split(".com/")[1] + ".html")


def extractors() -> dict:
    """Ours, lxml's parse alone, and the peers that are installed."""
    from lxml import etree

    from newscrawl.pages import extract_article

    parser = etree.HTMLParser()
    found = {"lxml parse only": lambda html, url: etree.fromstring(html, parser), "newscrawl": extract_article}
    try:
        import trafilatura

        found["trafilatura"] = lambda html, url: trafilatura.bare_extraction(
            html.decode("utf-8"), url=url, with_metadata=True)
    except ImportError:
        pass
    try:
        import newspaper

        def newspaper4k(html: bytes, url: str) -> None:
            article = newspaper.Article(url, fetch_images=False)
            article.download(input_html=html.decode("utf-8"))
            article.parse()

        found["newspaper4k"] = newspaper4k
    except ImportError:
        pass
    return found


def compare(pages: list[tuple[bytes, str]]) -> dict:
    """CPU per page of every extractor on these pages, and the ratios to ours."""
    functions = extractors()
    for function in functions.values():  # warm up imports and caches
        function(*pages[0])
    results = cpu_ms(functions, pages)
    ours = results["newscrawl"]["median_ms"]
    results["newscrawl_vs_lxml"] = round(ours / results["lxml parse only"]["median_ms"], 2)
    if "trafilatura" in results:
        results["trafilatura_vs_newscrawl"] = round(results["trafilatura"]["median_ms"] / ours, 1)
    if "newspaper4k" in results:
        results["newspaper4k_vs_newscrawl"] = round(results["newspaper4k"]["median_ms"] / ours, 1)
    results["pages"] = len(pages)
    return results


def extraction(mirror: Mirror, sample: int) -> dict:
    """On a sample of the mirror's synthetic pages, and on the genuine page (repeated)."""
    files = mirror.pages()
    chosen = random.Random(3).sample(files, min(sample, len(files)))
    pages = [(f.read_bytes(), f"{mirror.base}/{str(f.relative_to(mirror.site))[:-5].replace('__', '?', 1)}")
             for f in chosen]
    results = compare(pages)
    results["genuine_page"] = compare([(GENUINE.read_bytes(), GENUINE_URL)] * sample)
    results["genuine_page_2015"] = compare([(GENUINE_2015.read_bytes(), GENUINE_2015_URL)] * sample)
    return results


def memory(work: Path, sizes: list[int]) -> dict:
    rows = []
    for size in sizes:
        (work / f"mem-{size}").mkdir()
        mirror = Mirror(work / f"mem-{size}", size, realistic=False)
        try:
            seconds, stats = scrapy_run(["crawl", "tribun", "-a", f"urls={mirror.index()}",
                                         "-O", str(work / f"mem-{size}.jsonl")], work / f"mem-{size}" / "run")
        finally:
            mirror.close()
        requests = stats.get("downloader/request_count", 0)
        rows.append({"articles": size, "requests": requests, "seconds": round(seconds, 1),
                     "peak_rss_mb": round(stats["bench/peak_rss_bytes"] / 2**20, 1)})
        shutil.rmtree(mirror.root, ignore_errors=True)
    for earlier, later in zip(rows, rows[1:]):
        growth = later["peak_rss_mb"] - earlier["peak_rss_mb"]
        per_10k = growth * 10_000 / (later["articles"] - earlier["articles"])
        # Scrapy's own dupefilter keeps a 20-byte fingerprint per request (~100 bytes in a set).
        dupefilter = (later["requests"] - earlier["requests"]) * 100 / 2**20 * 10_000 / (
            later["articles"] - earlier["articles"])
        later["growth_per_10k_mb"] = round(per_10k, 1)
        later["growth_per_10k_beyond_dupefilter_mb"] = round(per_10k - dupefilter, 1)
    return {"crawls": rows}


def store(articles: int) -> dict:
    done = subprocess.run([sys.executable, str(REPO / "bench" / "store_bench.py"), "--articles", str(articles)],
                          env=ENV, check=True, capture_output=True, text=True)
    return json.loads(done.stdout.strip().splitlines()[-1])


def table(results: dict) -> str:
    """The figures as a plain-text table, one row per measurement."""
    rows = [("machine", f"{results['machine']}, Python {results['python']}", "")]
    if t := results.get("throughput"):
        rows.append((f"crawl {t['articles']} articles / {t['pages']} pages",
                     f"tribun {t['tribun_seconds']} s vs null {t['null_seconds']} s = {t['ratio']}x", "<= 1.2x"))
        rows.append(("  parse-only spider (lxml parse, nothing else)",
                     f"{t['parse_only_seconds']} s = {t['parse_only_ratio']}x null; in a worker process "
                     f"{t['parse_only_in_a_worker_seconds']} s = {t['parse_only_in_a_worker_ratio']}x", ""))
    if a := results.get("archive"):
        rows.append((f"web archive on vs off, {a['pages']} pages",
                     f"{a['on_seconds']} s vs {a['off_seconds']} s = {a['slowdown']:+.1%}; "
                     f"{a['bytes_per_page']} bytes stored per page of {a['page_bytes']}; the genuine page: "
                     f"{a['genuine_bytes_per_page']} bytes of {a['genuine_page_bytes']}", "<= +10%"))
    if e := results.get("extraction"):
        for name in ("newscrawl", "lxml parse only", "trafilatura", "newspaper4k"):
            if name in e:
                rows.append((f"extraction CPU/page: {name}",
                             f"median {e[name]['median_ms']} ms, p95 {e[name]['p95_ms']} ms", ""))
        rows.append(("newscrawl / lxml parse", f"{e['newscrawl_vs_lxml']}x", "<= 2x"))
        if "trafilatura_vs_newscrawl" in e:
            rows.append(("trafilatura / newscrawl", f"{e['trafilatura_vs_newscrawl']}x", ">= 5x"))
        if g := e.get("genuine_page"):
            rows.append(("genuine 2020 page: newscrawl, lxml parse",
                         f"{g['newscrawl']['median_ms']} ms, {g['lxml parse only']['median_ms']} ms", ""))
            rows.append(("genuine 2020 page: newscrawl / lxml parse", f"{g['newscrawl_vs_lxml']}x", "<= 2x"))
        if g := e.get("genuine_page_2015"):
            rows.append(("genuine 2015 page: newscrawl, lxml parse",
                         f"{g['newscrawl']['median_ms']} ms, {g['lxml parse only']['median_ms']} ms", ""))
            rows.append(("genuine 2015 page: newscrawl / lxml parse", f"{g['newscrawl_vs_lxml']}x", "<= 2x"))
    for crawl in (results.get("memory") or {}).get("crawls", []):
        growth = (f"; +{crawl['growth_per_10k_mb']} MB per 10k "
                  f"({crawl['growth_per_10k_beyond_dupefilter_mb']} beyond the dupefilter)"
                  if "growth_per_10k_mb" in crawl else "")
        rows.append((f"peak RSS, {crawl['articles']} articles", f"{crawl['peak_rss_mb']} MB{growth}", "< 20 MB/10k"))
    if st := results.get("store"):
        rows.append((f"store at {st.get('articles')} articles", json.dumps(
            {k: v for k, v in st.items() if k != "articles"}), "flat memory"))
    width = max(len(r[0]) for r in rows)
    return "\n".join(f"{name:<{width}}  {value}  {target}".rstrip() for name, value, target in rows)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--articles", type=int, default=1000, help="mirror size for throughput and extraction")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--sample", type=int, default=300, help="pages for the extraction timing")
    parser.add_argument("--memory", default="2000,10000,20000", help="crawl sizes for peak RSS")
    parser.add_argument("--store-articles", type=int, default=1_000_000)
    parser.add_argument("--quick", action="store_true", help="400 articles, 1 round, memory 1000,2000,4000, store 10^5")
    parser.add_argument("--skip", default="", help="comma list of parts to skip: throughput,archive,extraction,memory,store")
    args = parser.parse_args()
    if args.quick:
        args.articles, args.rounds, args.memory, args.store_articles = 400, 1, "1000,2000,4000", 100_000
    skip = set(args.skip.split(","))
    work = Path(tempfile.mkdtemp(prefix="newscrawl-bench-"))
    work.chmod(0o755)  # nginx's workers (user nobody when started as root) read the mirror
    results: dict = {"machine": f"{os.cpu_count()} cores", "python": sys.version.split()[0]}
    try:
        mirror = Mirror(work, args.articles, realistic=True)
        try:
            if "throughput" not in skip:
                results["throughput"] = throughput(mirror, work, args.rounds)
                print("throughput", json.dumps(results["throughput"]), flush=True)
            if "archive" not in skip:
                results["archive"] = archive_cost(mirror, work, args.rounds)
                print("archive", json.dumps(results["archive"]), flush=True)
            if "extraction" not in skip:
                results["extraction"] = extraction(mirror, args.sample)
                print("extraction", json.dumps(results["extraction"]), flush=True)
        finally:
            mirror.close()
        if "memory" not in skip:
            results["memory"] = memory(work, [int(n) for n in args.memory.split(",")])
            print("memory", json.dumps(results["memory"]), flush=True)
        if "store" not in skip:
            results["store"] = store(args.store_articles)
            print("store", json.dumps(results["store"]), flush=True)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    print(table(results))
    print(json.dumps(results))


if __name__ == "__main__":
    main()
