"""A replay on every core (README "Replay on every core"): ``-a workers=N`` exports what one
process exports, each article once, its pages from different files merged, its versions
in capture order; a worker that dies makes the run fail, and says so.

The archive: three Common Crawl-shaped files (warcio) of fixture pages and records of other
hosts; the pages of one article sit in all three files, another's in two, and a third
article was captured twice (a draft in the third file, the final text in the first), and
a syndicated copy of the first (surabaya, published later) sits in the third file, ahead of
its original's first page.
Shares of 4 KB make the workers split each file into many ranges.
"""
from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from newscrawl.archive.workers import Plan, deal
from tests.chaos import chaos_settings
from tests.conftest import crawl_command, crawl_env, finalized_items, run_crawl, wait_for_log
from tests.test_foreign_archives import BERAS, KPK, PSBB, CommonCrawlLike, page

BEKASI = "www.tribunnews.com/nasional/2020/05/04/kasus-covid-19-di-bekasi-bertambah"
COPY = "surabaya.tribunnews.com/2020/05/04/pemerintah-perpanjang-psbb-jakarta-hingga-akhir-mei"  # of PSBB
SMALL_SHARES = ["-s", "NEWSCRAWL_REPLAY_SHARE=4096"]


def filler(warc: CommonCrawlLike, file: int, n: int = 40) -> None:
    for k in range(n):
        warc.response(f"https://www.kompas.com/read/{file}/{k}", b"<html><body>" + b"lain %d " % k * 300 + b"</body></html>",
                      "2016-02-05T10:00:00Z")


@pytest.fixture(scope="module")
def archives(tmp_path_factory) -> Path:
    return write_archives(tmp_path_factory.mktemp("archives"))


def write_archives(folder: Path) -> Path:
    """The three files: PSBB's pages in all three, BERAS's in two, KPK twice (draft, final)."""
    files = [CommonCrawlLike() for _ in range(3)]
    for number, warc in enumerate(files):
        filler(warc, number)
    files[0].response(f"https://{PSBB}", page(PSBB), "2020-05-04T05:00:00Z")
    files[1].response(f"https://{PSBB}?page=2", page(PSBB, "page=2"), "2020-05-04T05:00:02Z")
    files[2].response(f"https://{PSBB}?page=3", page(PSBB, "page=3"), "2020-05-04T05:00:04Z")
    files[1].response(f"https://{BERAS}", page(BERAS), "2018-03-12T08:00:00Z")
    files[2].response(f"https://{BERAS}?page=2", page(BERAS, "page=2"), "2018-03-12T08:00:05Z")
    files[2].response(f"https://{KPK}", page(KPK).replace(b"Sidang perdana", b"DRAF Sidang"), "2015-06-19T06:00:00Z")
    files[0].response(f"https://{KPK}", page(KPK), "2016-02-05T10:01:00Z")
    files[2].response(f"https://{BEKASI}", page(BEKASI), "2020-05-04T09:20:00Z")
    files[2].response(f"https://{COPY}", page(COPY), "2020-05-04T03:00:00Z")
    for number, warc in enumerate(files):
        filler(warc, number + 10)
        (folder / f"CC-MAIN-{number}.warc.gz").write_bytes(warc.bytes())
    return folder


@pytest.fixture(scope="module")
def alone(archives, tmp_path_factory):
    run = run_crawl(tmp_path_factory.mktemp("alone"), "-a", f"archive={archives}")
    assert run.returncode == 0, run.stderr
    return run


def essence(items: list[dict]) -> list[tuple]:
    return sorted((i["url"], i["content_hash"], i["title"], i["page_count"], i["complete"], i["published_at"],
                   i["body"]) for i in items)


def copies(items: list[dict]) -> dict[str, str]:
    return {i["url"]: i["duplicate_of"] for i in items if i["duplicate_of"]}


@pytest.mark.parametrize("workers", [2, 3])
def test_workers_export_what_one_process_does_each_article_once(archives, alone, tmp_path, workers):
    marker = f"mailto:workers-{workers}-{os.getpid()}@example.org"  # in every worker's command line
    run = run_crawl(tmp_path, "-a", f"archive={archives}", "-a", f"workers={workers}", *SMALL_SHARES,
                    "-s", f"NEWSCRAWL_CONTACT={marker}")
    assert run.returncode == 0, run.stderr
    items, expected = run.items(), alone.items()
    assert len(expected) == 6  # PSBB, its copy, BERAS, BEKASI, and KPK twice (draft, then final)
    assert essence(items) == essence(expected)
    # Copies decided by one index over every worker's articles, as in one process.
    assert copies(items) == copies(expected) == {f"https://{COPY}": f"https://{PSBB}"}
    psbb = [i for i in items if i["url"].endswith(PSBB)]
    assert len(psbb) == 1 and psbb[0]["page_count"] == 3 and psbb[0]["complete"]  # pages from three files
    kpk = [i["body"] for i in items if i["url"].endswith(KPK)]
    assert len(kpk) == 2 and "DRAF Sidang" in kpk[0] and "DRAF" not in kpk[1]  # versions in capture order
    # Counted once for the index, summed for the work: the same figures as one process.
    for key in ("newscrawl/replay/records", "newscrawl/replay/other_hosts", "item_scraped_count",
                "newscrawl/replay/responses", "newscrawl/articles/fetched"):
        assert run.stats.get(key) == alone.stats.get(key), key
    assert run.stats["newscrawl/workers"] == workers and run.stats["newscrawl/verdict"] == "ok"
    assert run.stats.get("newscrawl/near_duplicates") == alone.stats.get("newscrawl/near_duplicates") == 1
    dealt = run.stats["newscrawl/workers/exported"]
    assert len(dealt) == workers and sum(dealt) == 6
    report = json.loads(next((tmp_path / "output").rglob("*.report.json")).read_text())
    assert report["verdict"] == "ok" and report["counts"]["exported"] == 6
    assert marker not in subprocess.run(["ps", "-eo", "args"], capture_output=True, text=True).stdout  # none left


def test_each_worker_takes_the_next_article_no_other_has_taken(tmp_path):
    """The deal (workers.deal, with the folder's tickets): a worker that asks more often gets
    more articles; every article goes to exactly one worker, with its later URLs (another
    variant of the same article)."""
    urls = [f"https://www.tribunnews.com/nasional/2020/05/04/artikel-{n}" for n in range(8)]
    urls.insert(3, "https://m.tribunnews.com/nasional/2020/05/04/artikel-0?utm_source=x")  # article 0 again
    fast = deal(urls, Plan(0, 2, tmp_path).take_ticket, set())
    slow = deal(urls, Plan(1, 2, tmp_path).take_ticket, set())
    taken = {"fast": [next(fast), next(fast), next(fast)], "slow": [next(slow)]}
    taken["fast"] += list(fast)
    taken["slow"] += list(slow)
    assert taken["fast"][:4] == [urls[0], urls[1], urls[2], urls[3]]  # articles 0, 1, 2, then 0's variant
    assert taken["slow"] == [urls[4]]  # article 3: the next one no worker had taken
    assert sorted(taken["fast"] + taken["slow"]) == sorted(urls)  # each once


def children_of(pid: int) -> list[int]:
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == pid:
            found.append(int(stat.parent.name))
    return found


def start_a_long_replay(tmp_path: Path, workers: int, *extra: str) -> tuple[subprocess.Popen, list[int]]:
    """A replay of two files of 3,000 records each (a second or so of indexing), and the
    pids of its workers 1..N-1 once they are forked."""
    folder = tmp_path / "big"
    folder.mkdir()
    for number in range(2):
        warc = CommonCrawlLike()
        filler(warc, number, n=3000)
        warc.response(f"https://{BEKASI}", page(BEKASI), "2020-05-04T09:20:00Z")
        (folder / f"CC-MAIN-{number}.warc.gz").write_bytes(warc.bytes())
    (tmp_path / "tmp").mkdir()  # the workers' folder is made here (TMPDIR): a test can watch it
    crawl = subprocess.Popen(crawl_command("-a", f"archive={folder}", "-a", f"workers={workers}", *SMALL_SHARES, *extra),
                             cwd=tmp_path, env={**crawl_env(), "TMPDIR": str(tmp_path / "tmp")}, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 30
    while len(forked := children_of(crawl.pid)) < workers - 1 and time.monotonic() < deadline:
        time.sleep(0.002)
    return crawl, forked


def test_a_worker_killed_while_indexing_fails_the_run_at_once(tmp_path):
    """Worker 1 dies before it shared its part of the index: worker 0 stops the others and
    fails the run, instead of waiting for that part for ever."""
    crawl, workers = start_a_long_replay(tmp_path, 3)
    os.kill(min(workers), signal.SIGKILL)  # worker 1, as it starts indexing
    _, stderr = crawl.communicate(timeout=60)
    assert crawl.returncode == 4, stderr
    assert ("problem: replay worker 1 ended (exit status -9) before it had indexed its share of the archives: "
            "nothing was replayed") in stderr
    assert not children_of(crawl.pid)


def test_a_worker_that_dies_fails_the_run_and_says_so(archives, tmp_path):
    run = run_crawl(tmp_path, "-a", f"archive={archives}", "-a", "workers=2", *SMALL_SHARES,
                    *chaos_settings("KillReplayWorker"))
    assert run.returncode == 4, run.stderr
    assert "problem: 1 of 2 replay workers failed (worker 1 exit status -9): their share of the articles is missing" \
        in run.stderr
    assert run.stats["newscrawl/verdict"] == "failed"


@pytest.mark.parametrize("argument, problem", [
    ("workers=0", "-a workers='0' is not a number of processes from 1 to 64"),
    ("workers=two", "-a workers='two' is not a number of processes from 1 to 64"),
])
def test_bad_workers_are_one_line_and_nothing_runs(archives, tmp_path, argument, problem):
    run = run_crawl(tmp_path, "-a", f"archive={archives}", "-a", argument)
    assert run.returncode == 2 and run.stderr.strip().endswith(f"error: {problem}")


def test_workers_need_an_archive_and_no_state_store(archives, tmp_path):
    live = run_crawl(tmp_path, "-a", "workers=2")
    assert live.returncode == 2 and "-a workers spreads a replay over processes: give -a archive= too" in live.stderr
    stored = run_crawl(tmp_path, "-a", f"archive={archives}", "-a", "workers=2", "-s", "NEWSCRAWL_REPLAY_INCREMENTAL=1")
    assert stored.returncode == 2 and "-a workers replays without the state store" in stored.stderr
    shared = run_crawl(tmp_path, "-a", f"archive={archives}", "-a", "workers=2",
                       "-s", "REDIS_URL=redis://127.0.0.1:1/0")
    assert shared.returncode == 2 and shared.stderr.strip().endswith(
        "-a workers shares a replay among the cores of this machine; with REDIS_URL, "
        "start one worker per machine instead")
    assert not (tmp_path / "output").exists()


def test_a_signal_to_the_replay_stops_every_worker(tmp_path):
    """SIGTERM to the crawl (worker 0) while the workers run: it ends as an interrupted run
    (exit 6), and no worker outlives it."""
    crawl, workers = start_a_long_replay(tmp_path, 2)
    wait_for_log(crawl, "Reading 2 archive file(s)")  # indexing, its signal handlers in place
    crawl.send_signal(signal.SIGTERM)
    _, stderr = crawl.communicate(timeout=60)
    assert crawl.returncode == 6, stderr
    assert "INTERRUPTED (exit status 6)" in stderr
    assert not [pid for pid in workers if Path(f"/proc/{pid}").exists()]


# What a replay never asks for, whose import alone cost its start 170 ms (README "Replay on
# every core": the start-up is the part no worker shares): the remote-control extension's
# web server (off in every run), the cookie jar's public-suffix list, the HTTP handler.
NEVER_USED = ("aiohttp", "tldextract", "scrapy.core.downloader.handlers.http11")
PROBE = f"""
import json, sys
from scrapy.cmdline import execute
try:
    execute(["scrapy", "crawl", "tribun", *sys.argv[1:]])
except SystemExit as end:
    print(json.dumps({{"status": end.code, "imported": [m for m in {NEVER_USED!r} if m in sys.modules]}}))
"""


def test_a_replay_starts_without_importing_what_it_never_uses(archives, alone, tmp_path):
    done = subprocess.run([sys.executable, "-c", PROBE, "-a", f"archive={archives}", "-a", "workers=2"],
                          cwd=tmp_path, env=crawl_env(), capture_output=True, text=True, timeout=120)
    probe = json.loads(done.stdout.strip().splitlines()[-1])
    assert probe == {"status": 0, "imported": []}, done.stderr
    assert essence(finalized_items(tmp_path)) == essence(alone.items())  # the same replay, all of it


def alive(pid: int) -> bool:
    """Running (a zombie waiting for its reaper is dead)."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


@pytest.mark.parametrize("moment", ["forked", "indexing", "replaying"])
def test_workers_die_with_worker_0_killed_at_any_moment(tmp_path, moment):
    """SIGKILL of worker 0 (no chance to pass anything on): the kernel ends the others."""
    from tests.chaos import chaos_middlewares

    mark = tmp_path / "replaying"
    crawl, workers = start_a_long_replay(tmp_path, 3, *chaos_middlewares("HangOne"), "-s", f"CHAOS_HANG={BEKASI}",
                                         "-s", f"CHAOS_HANG_MARK={mark}")
    assert len(workers) == 2
    if moment == "indexing":  # the workers' folder (under the test's TMPDIR) holds what they index
        wait_for(lambda: any(f.is_file() for f in (tmp_path / "tmp").rglob("*")))
    elif moment == "replaying":  # a worker is replaying the article (and hangs there)
        wait_for(mark.exists)
    crawl.kill()
    crawl.communicate(timeout=30)
    wait_for(lambda: not any(alive(pid) for pid in workers), timeout=10)


def wait_for(condition, timeout: float = 60) -> None:
    """Poll ``condition`` (an event on disk or in /proc) until it holds."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"not within {timeout} s: {condition}")
        time.sleep(0.01)


def test_captured_at_is_the_warc_date_of_each_captures_page_1(alone):
    """A replay keeps when each version was captured, not when it was replayed."""
    captured = sorted((i["url"].split("/")[-1], i["version"], i["captured_at"]) for i in alone.items()
                      if i["url"].endswith((KPK, PSBB)))
    assert captured == [(KPK.split("/")[-1], 1, "2015-06-19T06:00:00+00:00"),
                        (KPK.split("/")[-1], 2, "2016-02-05T10:01:00+00:00"),
                        (PSBB.split("/")[-1], 1, "2020-05-04T05:00:00+00:00")]
