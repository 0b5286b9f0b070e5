"""A replay on several machines (README "Replay on several machines"): ``-a archive=`` with
``REDIS_URL`` on a real redis-server. Three workers started together, each given its own
copy of the archives (another folder: files are known by name and size), build the index
together through Redis and share the frontier: every article of the multi-file archive is
exported exactly once, its pages from three files merged, both versions of the article
captured twice, the draft first.
"""
from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from collections import Counter
from datetime import datetime
from pathlib import Path

import pyarrow.parquet as pq
import pytest
import redis

from tests.chaos import chaos_settings
from tests.conftest import crawl_command, crawl_env, finalized_items, forked, run_crawl, wait_for_log
from tests.test_replay_workers import COPY, KPK, PSBB, SMALL_SHARES, essence, write_archives
from tests.test_replay_workers import copies as copy_marks


@pytest.fixture(scope="module")
def archives(tmp_path_factory) -> Path:
    return write_archives(tmp_path_factory.mktemp("archives"))


def start(workdir: Path, folder: Path, redis_url: str, name: str, *extra: str) -> subprocess.Popen:
    workdir.mkdir(parents=True, exist_ok=True)
    command = crawl_command("-s", f"REDIS_URL={redis_url}", "-s", f"NEWSCRAWL_WORKER={name}",
                            "-s", "NEWSCRAWL_IDLE_TIMEOUT=1", "-s", "NEWSCRAWL_WORKER_TTL=2", *SMALL_SHARES, *extra,
                            "-s", f"NEWSCRAWL_STATS_FILE={workdir / 'stats.json'}", "-a", f"archive={folder}")
    return subprocess.Popen(command, cwd=workdir, env=crawl_env(), stdout=subprocess.DEVNULL,
                            stderr=subprocess.PIPE, text=True)


@pytest.fixture(scope="module")
def alone(archives, tmp_path_factory):
    run = run_crawl(tmp_path_factory.mktemp("alone"), "-a", f"archive={archives}")
    assert run.returncode == 0, run.stderr
    return run


def test_three_workers_replay_a_multi_file_archive_each_article_once(archives, alone, redis_url, tmp_path):
    copies = []
    for n in range(3):  # "copied to each machine": another path, the same files
        copies.append(tmp_path / f"machine{n}" / "captures")
        shutil.copytree(archives, copies[-1])
    dirs = [tmp_path / f"w{n}" for n in range(3)]
    workers = [start(d, copies[n], redis_url, f"w{n}") for n, d in enumerate(dirs)]
    errors = [w.communicate(timeout=180)[1] for w in workers]
    assert [w.returncode for w in workers] == [0, 0, 0], errors
    items = [item for d in dirs for item in finalized_items(d)]
    assert essence(items) == essence(alone.items())  # each article (and version) exactly once
    assert Counter(i["url"].split("/")[-1] for i in items)[KPK.split("/")[-1]] == 2
    # Copies are told apart over every worker (one index of bodies in Redis): a dataset of the
    # fleet's files marks what one process marks, whichever worker met the copy first.
    runs = [f for d in dirs for f in sorted((d / "output").rglob("*.jsonl"))]
    done = forked([sys.executable, "-m", "newscrawl.dataset", *map(str, runs), str(tmp_path / "dataset")], tmp_path, 120)
    assert done.returncode == 0, done.stderr
    rows = pq.read_table(sorted((tmp_path / "dataset" / "articles").rglob("*.parquet"))).to_pylist()
    assert copy_marks(rows) == copy_marks(alone.items()) == {f"https://{COPY}": f"https://{PSBB}"}
    psbb = [i for i in items if i["url"].endswith(PSBB)]
    assert len(psbb) == 1 and psbb[0]["page_count"] == 3 and psbb[0]["complete"]
    kpk = sorted((i for i in items if i["url"].endswith(KPK)), key=lambda i: datetime.fromisoformat(i["crawled_at"]))
    assert "DRAF Sidang" in kpk[0]["body"]  # the draft's version came first
    assert sum("seeds the crawl" in e for e in errors) == 1
    stats = [json.loads((d / "stats.json").read_text()) for d in dirs]
    assert all(s["newscrawl/replay/records"] == alone.stats["newscrawl/replay/records"] for s in stats)
    # Each worker's requests stay with it: an article's next capture taken by another worker
    # would be dropped there (the article is claimed), as it was when they went through Redis.
    assert not any(s.get("scheduler/enqueued/redis") for s in stats)
    assert sum(s.get("scheduler/enqueued/memory", 0) for s in stats) == alone.stats["scheduler/enqueued/memory"]
    assert not list(redis.Redis.from_url(redis_url).scan_iter("newscrawl:tribun*"))  # the last one cleared


def test_a_share_whose_worker_was_killed_mid_share_is_indexed_by_another(archives, alone, redis_url, tmp_path):
    """Worker A is killed (SIGKILL) while it holds the claim of a share it has not finished:
    its claim expires (NEWSCRAWL_WORKER_TTL, 2 s here) and worker B, started after, indexes
    that share itself and replays the whole archive."""
    server = redis.Redis.from_url(redis_url)
    tiny = ["-s", "NEWSCRAWL_REPLAY_SHARE=1024"]  # many shares: A is caught holding one
    a = start(tmp_path / "a", archives, redis_url, "a", *tiny)
    claims = "newscrawl:tribun-replay:replay:claim:*"
    while not any(server.scan_iter(claims)) and a.poll() is None:
        time.sleep(0.001)  # A is starting
    unfinished = set()
    while not unfinished and a.poll() is None:
        os.kill(a.pid, signal.SIGSTOP)  # frozen, as at the moment of a kill
        claimed = {int(key.rsplit(b":", 1)[1]) for key in server.scan_iter(claims)}
        unfinished = claimed - {int(n) for n in server.smembers("newscrawl:tribun-replay:replay:done")}
        os.kill(a.pid, signal.SIGKILL if unfinished else signal.SIGCONT)
        time.sleep(0.001)
    a.communicate(timeout=30)
    assert unfinished, "worker A ended before it could be caught mid-share"
    b = start(tmp_path / "b", archives, redis_url, "b", *tiny)
    _, error = b.communicate(timeout=120)
    assert b.returncode == 0, error
    assert essence(finalized_items(tmp_path / "b")) == essence(alone.items())  # A's share included
    stats = json.loads((tmp_path / "b" / "stats.json").read_text())
    assert stats["newscrawl/replay/records"] == alone.stats["newscrawl/replay/records"]


def test_a_replay_beside_a_live_crawls_frontier_leaves_it_alone(archives, alone, redis_url, tmp_path):
    """A live distributed crawl on the same Redis: its frontier seeded, a worker alive, a
    request waiting. A replay started meanwhile runs on a frontier of its own (keys
    ``newscrawl:tribun-replay:*``): it replays the whole archive, neither takes the live
    crawl's request nor touches its keys, and clears only its own."""
    server = redis.Redis.from_url(redis_url)
    server.set("newscrawl:tribun:seeded", "live-1")
    server.set("newscrawl:tribun:worker:live-1", "1", px=120_000)
    server.zadd("newscrawl:tribun:requests", {b"a live worker's pickled request": 0})
    server.sadd("newscrawl:tribun:dupefilter", "a live fingerprint")
    live = {key: server.dump(key) for key in server.scan_iter("newscrawl:tribun:*")}
    worker = start(tmp_path / "w", archives, redis_url, "w")
    _, error = worker.communicate(timeout=120)
    assert worker.returncode == 0, error
    assert "Worker w seeds the crawl" in error
    assert essence(finalized_items(tmp_path / "w")) == essence(alone.items())
    assert {key: server.dump(key) for key in server.scan_iter("newscrawl:tribun:*")} == live
    assert not list(server.scan_iter("newscrawl:tribun-replay:*"))


def test_a_worker_that_joins_the_replay_deals_itself_articles(archives, alone, redis_url, tmp_path):
    """The workers of a distributed replay each take the next article no other has taken
    (tickets in Redis), seeded or not: an archive answers at once, so the worker that seeded
    every article used to replay nearly all of them itself. Here another worker seeded the
    crawl and is alive but takes nothing: the one that joins replays the whole archive."""
    server = redis.Redis.from_url(redis_url)
    server.set("newscrawl:tribun-replay:seeded", "other")
    server.set("newscrawl:tribun-replay:worker:other", "1", px=120_000)
    worker = start(tmp_path / "w", archives, redis_url, "w")
    _, error = worker.communicate(timeout=120)
    assert worker.returncode == 0, error
    assert "Worker w joins the crawl (already seeded by another worker)" in error
    assert essence(finalized_items(tmp_path / "w")) == essence(alone.items())


def test_a_worker_killed_mid_replay_fails_the_run_of_the_one_that_ends_after_it(archives, alone, redis_url, tmp_path):
    """Worker b is killed (SIGKILL) as its first article is scraped: what it had taken is
    missing, and worker a, ending after it, says so and does not end ok. (b starts first, so
    it has an article to die on; a joins while b still counts as alive, for 10 s.)"""
    ttl = ["-s", "NEWSCRAWL_WORKER_TTL=10"]
    b = start(tmp_path / "b", archives, redis_url, "b", *ttl, *chaos_settings("KillAtFirstItem"))
    wait_for_log(b, "Worker b seeds the crawl")
    a = start(tmp_path / "a", archives, redis_url, "a", *ttl)
    b_error = b.seen + b.communicate(timeout=120)[1]
    _, a_error = a.communicate(timeout=120)
    assert b.returncode == -signal.SIGKILL, b_error[-2000:]
    assert a.returncode == 4, a_error[-3000:]
    assert "Worker(s) b of this crawl stopped answering before they ended (killed?)" in a_error
    assert "problem: worker(s) b of this crawl stopped answering before they ended (killed?)" in a_error
    assert json.loads((tmp_path / "a" / "stats.json").read_text())["newscrawl/distributed/lost_workers"] == ["b"]
    # b's unfinished file stays where it was killed, until a replay into the same folder
    # removes it and says so: nothing is left for ever.
    [dead] = list((tmp_path / "b" / "output").rglob("*.jsonl.part"))
    rerun = run_crawl(tmp_path / "b", "-a", f"archive={archives}")
    assert rerun.returncode == 0, rerun.stderr[-2000:]
    assert f"{dead.name}: the unfinished file of a run that died, with no journal to settle it" in rerun.stderr
    assert rerun.stat("output/dead_parts_removed") == [str(dead.relative_to(tmp_path / "b"))]
    assert not list((tmp_path / "b" / "output").rglob("*.part*"))
    assert essence(finalized_items(tmp_path / "b")) == essence(alone.items())
    # The next replay is a new crawl: b, lost in the last one, is not this one's.
    again = start(tmp_path / "again", archives, redis_url, "c")
    _, error = again.communicate(timeout=120)
    assert again.returncode == 0 and "stopped answering" not in error, error[-2000:]
    assert essence(finalized_items(tmp_path / "again")) == essence(alone.items())


def test_a_worker_given_other_archives_is_refused_in_one_line(archives, redis_url, tmp_path):
    first = start(tmp_path / "w0", archives, redis_url, "w0")
    assert first.communicate(timeout=120)[0] is None and first.returncode == 0
    # The first worker cleared the crawl as it left: a new crawl on other archives is fine...
    other = tmp_path / "other"
    other.mkdir()
    shutil.copy(sorted(archives.glob("*.warc.gz"))[0], other)
    server = redis.Redis.from_url(redis_url)
    server.set("newscrawl:tribun-replay:replay:sources", json.dumps([["CC-MAIN-9.warc.gz", None, 1]]))
    # ...but not while another crawl on other files holds the frontier.
    run = run_crawl(tmp_path / "w1", "-s", f"REDIS_URL={redis_url}", "-a", f"archive={other}",
                    "-s", "NEWSCRAWL_IDLE_TIMEOUT=1")
    assert run.returncode == 4, run.stderr
    assert "this worker's archives (CC-MAIN-0.warc.gz) are not the crawl's (CC-MAIN-9.warc.gz): " \
           "give every worker the same files" in run.stderr


def test_redis_dying_mid_replay_is_one_line_and_not_ok(archives, redis_server, tmp_path):
    """No engine traceback: the worker stops with one ERROR line, its output final, failed."""
    from tests.chaos import chaos_settings

    worker = start(tmp_path / "w", archives, redis_server.url, "w0", *chaos_settings("SlowExport"),
                   "-s", "NEWSCRAWL_REDIS_LOST_AFTER=2")
    deadline = time.monotonic() + 60
    while not list((tmp_path / "w").rglob("*.jsonl.part")) and time.monotonic() < deadline:
        time.sleep(0.05)
    redis_server.stop()
    _, stderr = worker.communicate(timeout=120)
    assert worker.returncode == 4, stderr
    assert "Traceback" not in stderr, stderr
    assert "FAILED (exit status 4)" in stderr
