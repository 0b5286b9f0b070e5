"""Distributed mode: several worker processes on one Redis frontier (a real redis-server)."""
from __future__ import annotations

import signal
import subprocess
import time
from collections import Counter
from pathlib import Path

import redis

from newscrawl.dedup.redis_store import RedisArticleStore
from newscrawl.dedup.store import ExportedArticle, article_keys
from tests.conftest import archived_urls, crawl_command, crawl_env, finalized_items, run_crawl
from tests.fixture_site import FixtureSite
from tests.sitegen import build_site, index_url

A = "https://www.tribunnews.com/nasional/2020/05/04/a"


def test_redis_store_knows_recorded_articles_and_near_duplicates(redis_url):
    store = RedisArticleStore(redis.Redis.from_url(redis_url))
    assert not store.knows(article_keys(A))
    store.record([ExportedArticle(article_keys(A, "www.tribunnews.com", "1"), A)])
    assert store.knows(article_keys(A)) and store.count() == 2
    store.add_fingerprint(0xABCDEF, A)
    assert store.near_duplicate_of(0xABCDEF ^ 0b101, 3).url == A
    assert store.near_duplicate_of(0xABCDEF ^ 0b1111, 3) is None


def test_a_fleet_without_a_state_store_tells_copies_apart_over_every_worker(redis_url, tmp_path):
    """Two workers of a distributed replay (no state store): one index of bodies in Redis.
    Worker A exports a republication first; worker B meets its original (published earlier)
    and says so for the dataset; a later copy on A points at the original."""
    from newscrawl.dedup.copies import Copies
    from tests.conftest import project_crawler
    from tests.test_pipelines import republications

    def worker(name: str):
        crawler = project_crawler(tmp_path / name, REDIS_URL=redis_url, NEWSCRAWL_INCREMENTAL=False)
        return crawler, Copies.of(crawler)

    (a, copies_a), (b, copies_b) = worker("a"), worker("b")
    assert copies_a.fleet is not None and copies_a.elsewhere is copies_a.fleet
    copy, original, later = republications(a, b, a)
    assert copies_a.original_of(copy) is None  # nothing seen yet: an original so far
    assert copies_b.original_of(original) is None  # the earlier one: the original
    assert b.stats.get_value("newscrawl/near_duplicates/copies_of_earlier_runs") == {copy.url: original.url}
    assert copies_a.original_of(later) == original.url and later.duplicate_of == original.url
    server = redis.Redis.from_url(redis_url)
    assert all(key.startswith(b"newscrawl:tribun:replay:copies:") for key in server.keys("*"))  # cleared with the crawl


def workers_site(tmp_path: Path, articles: int = 240):
    generated = build_site(tmp_path / "site", articles, per_index_page=40)
    return generated, FixtureSite(tmp_path / "site", delay=0.01)


def start_worker(workdir: Path, site: FixtureSite, redis_url: str, name: str, *settings: str) -> subprocess.Popen:
    """A worker crawling the site's index; ``settings`` (``-s NAME=VALUE`` pairs) come last and win."""
    workdir.mkdir(parents=True, exist_ok=True)
    command = crawl_command("-s", f"REDIS_URL={redis_url}", "-s", f"NEWSCRAWL_WORKER={name}",
                            "-s", "NEWSCRAWL_IDLE_TIMEOUT=1", "-s", "NEWSCRAWL_WORKER_TTL=2",
                            "-s", "NEWSCRAWL_NEAR_DUPLICATES=off", *settings,
                            "-a", f"urls={site.url(index_url())}")
    return subprocess.Popen(command, cwd=workdir, env=crawl_env(), stdout=subprocess.DEVNULL,
                            stderr=subprocess.PIPE, text=True)


def wait_for_partial_output(worker: subprocess.Popen, workdir: Path, lines: int) -> None:
    """Wait until the worker's unfinished feed (`.part`) holds `lines` items."""
    deadline = time.monotonic() + 120
    while not any(len(p.read_bytes().splitlines()) >= lines for p in workdir.rglob("*.jsonl.part")):
        assert worker.poll() is None, f"worker exited early: {worker.communicate()[1][-2000:]}"
        assert time.monotonic() < deadline, "worker wrote nothing in 120 s"
        time.sleep(0.05)


def union(workdirs: list[Path]) -> Counter:
    return Counter(item["url"] for w in workdirs for item in finalized_items(w))


def assert_merged(workdirs: list[Path], site: FixtureSite, articles) -> None:
    bodies = {item["url"]: item for w in workdirs for item in finalized_items(w)}
    for article in articles:
        item = bodies[site.url(article.url)]
        assert item["body"] == article.body and item["page_count"] == len(article.pages)
        assert item["complete"]


def test_three_workers_share_one_frontier_and_export_each_article_once(redis_url, tmp_path):
    articles, site = workers_site(tmp_path)
    with site:
        dirs = [tmp_path / f"w{n}" for n in range(3)]
        workers = [start_worker(d, site, redis_url, f"w{n}") for n, d in enumerate(dirs)]
        errors = [w.communicate(timeout=180)[1] for w in workers]
        assert [w.returncode for w in workers] == [0, 0, 0], errors
        requests = Counter(site.requests)
    assert union(dirs) == Counter(site.url(a.url) for a in articles)  # every article exactly once
    assert_merged(dirs, site, articles)
    assert sum(1 for d in dirs if finalized_items(d)) >= 2  # the work was shared
    assert sum("seeds the crawl" in e for e in errors) == 1  # seeded once
    page_requests = [u for u in requests if "nasional" in u]
    assert all(requests[u] == 1 for u in page_requests)  # no page fetched twice
    server = redis.Redis.from_url(redis_url)
    assert not server.exists("newscrawl:tribun:seeded")  # the last worker cleared the crawl
    assert server.scard("newscrawl:exported") == 2 * len(articles)  # URL and id keys
    # Each worker wrote its own web archive; together they hold every page fetched, once.
    archives = {d.name: list(d.rglob("*.warc.gz")) for d in dirs}
    assert all(len(found) <= 1 and all(f.name.endswith(f"-{w}.warc.gz") for f in found)
               for w, found in archives.items())
    assert Counter(u for found in archives.values() for f in found for u in archived_urls(f)) == \
        Counter({site.url(u): 1 for u in page_requests})


def test_a_worker_killed_mid_crawl_loses_nothing_after_a_rerun(redis_url, tmp_path):
    articles, site = workers_site(tmp_path)
    with site:
        dirs = [tmp_path / f"w{n}" for n in range(3)]
        # Worker 0 starts alone so it is certainly mid-crawl (not finished, not starved by the
        # others) when it is killed; the other two join once it has exported a few articles.
        workers = [start_worker(dirs[0], site, redis_url, "w0")]
        wait_for_partial_output(workers[0], dirs[0], lines=5)
        workers += [start_worker(d, site, redis_url, f"w{n}") for n, d in enumerate(dirs) if n]
        workers[0].send_signal(signal.SIGKILL)
        errors = [worker.communicate(timeout=180)[1] for worker in workers[1:]]
        workers[0].wait(timeout=30)
        assert not finalized_items(dirs[0])  # the killed worker finalized nothing
        # The others say that w0 was lost with what it had taken: not ok.
        assert [w.returncode for w in workers[1:]] == [4, 4], errors
        assert all("problem: worker(s) w0 of this crawl stopped answering before they ended" in e for e in errors)
        rerun = run_crawl(dirs[0], "-s", f"REDIS_URL={redis_url}", "-s", "NEWSCRAWL_WORKER=w0",
                          "-s", "NEWSCRAWL_IDLE_TIMEOUT=1", "-s", "NEWSCRAWL_NEAR_DUPLICATES=off",
                          "-a", f"urls={site.url(index_url())}")
        assert rerun.returncode == 0, rerun.stderr
    assert union(dirs) == Counter(site.url(a.url) for a in articles)
    assert_merged(dirs, site, articles)
    assert rerun.stat("state/discarded") >= 5 and rerun.stat("articles/known") > 0


def test_a_worker_whose_redis_dies_finalizes_and_exits_with_one_line(redis_server, tmp_path):
    articles, site = workers_site(tmp_path, 120)
    with site:
        workdir = tmp_path / "w0"
        worker = start_worker(workdir, site, redis_server.url, "w0", "-s", "NEWSCRAWL_REDIS_LOST_AFTER=2",
                              "-s", "NEWSCRAWL_WORKER_TTL=1", "-s", "CONCURRENT_REQUESTS_PER_DOMAIN=2")
        wait_for_partial_output(worker, workdir, lines=3)
        redis_server.stop()  # Redis dies mid-crawl
        _, stderr = worker.communicate(timeout=90)  # bounded: it does not run on for ever
    assert worker.returncode == 4, stderr[-3000:]
    assert len([line for line in stderr.splitlines() if "has not answered for" in line]) == 1
    assert "problem: the shared Redis stopped answering" in stderr
    assert finalized_items(workdir) and not list(workdir.rglob("*.part"))  # what it had is final
    # Its exports could not be recorded in the dead Redis: the journal waits for its next start.
    assert list((workdir / ".newscrawl").glob("journal-*.jsonl"))


def test_redis_unreachable_at_start_is_one_line(tmp_path):
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]  # nothing listens there
    run = run_crawl(tmp_path, "-s", f"REDIS_URL=redis://:secret@127.0.0.1:{port}/0",
                    "-a", "urls=https://www.tribunnews.com/nasional/2020/05/04/x")
    assert run.returncode == 69
    [line] = run.stderr.strip().splitlines()
    assert f"cannot reach Redis at 127.0.0.1:{port}/0" in line and "secret" not in line


def test_redis_restarted_empty_mid_crawl_is_never_ok(redis_server, tmp_path):
    articles, site = workers_site(tmp_path, 120)
    with site:
        workdir = tmp_path / "w0"
        worker = start_worker(workdir, site, redis_server.url, "w0", "-s", "NEWSCRAWL_WORKER_TTL=1",
                              "-s", "CONCURRENT_REQUESTS_PER_DOMAIN=2")
        wait_for_partial_output(worker, workdir, lines=3)
        redis.Redis.from_url(redis_server.url).flushall()  # as a restart without persistence leaves it
        _, stderr = worker.communicate(timeout=90)
    assert worker.returncode == 4, stderr[-3000:]
    assert "problem: the shared Redis lost or refused work: its frontier vanished" in stderr
    assert len(finalized_items(workdir)) < len(articles)


def test_an_idle_joining_worker_takes_requests_as_soon_as_they_come(redis_url, tmp_path):
    # Scrapy looks at an idle engine's scheduler only every 5 s (its heartbeat); a worker that
    # joined before the crawl was seeded must not wait that long, or the seeder does it all.
    import threading

    articles, site = workers_site(tmp_path, 160)
    site.delay = 0.1  # the seeder alone needs seconds: as long as Scrapy's heartbeat, or more
    server = redis.Redis.from_url(redis_url)
    # The joiner finds the crawl seeded by a live worker, its queue still empty.
    server.set("newscrawl:tribun:seeded", "someone")
    server.set("newscrawl:tribun:worker:someone", "1", px=60_000)
    with site:
        # It waits for work as long as the test needs (a loaded machine starts the seeder
        # slowly), and is stopped once the seeder is done.
        joiner = start_worker(tmp_path / "w1", site, redis_url, "w1", "-s", "USER_AGENT=joiner",
                              "-s", "NEWSCRAWL_IDLE_TIMEOUT=120")
        log: list[str] = []
        threading.Thread(target=lambda: log.extend(joiner.stderr), daemon=True).start()  # never a full pipe
        deadline = time.monotonic() + 60
        while not any("joins the crawl" in line for line in list(log)):
            assert joiner.poll() is None and time.monotonic() < deadline, "".join(log)[-2000:]
            time.sleep(0.02)
        server.delete("newscrawl:tribun:seeded", "newscrawl:tribun:worker:someone")
        seeder = start_worker(tmp_path / "w0", site, redis_url, "w0", "-s", "USER_AGENT=seeder")
        seeder.communicate(timeout=120)
        joiner.send_signal(signal.SIGINT)  # as Ctrl-C: it finishes what it has and leaves
        joiner.wait(timeout=120)
        asked = [(t, agent) for u, t, agent in zip(site.requests, site.times, site.agents) if "/nasional/" in u]
    # In the order the site saw them (no clock): the joiner's first article came before the
    # seeder had asked for half of its own, not once Scrapy's heartbeat woke it.
    agents = [agent for _, agent in sorted(asked)]
    assert "joiner" in agents, "the seeder did the whole crawl: the joiner never looked at the queue in time"
    seeder = [n for n, agent in enumerate(agents) if agent == "seeder"]
    assert agents.index("joiner") < seeder[len(seeder) // 2]


def test_a_worker_started_while_the_last_one_still_records_exports_nothing_twice(redis_url, tmp_path):
    """The crawl was cleared at spider_closed, while the last worker still wrote and recorded
    its exports: a worker started then seeded a new crawl and exported them all again
    (issue 19, item 2). The crawl is cleared only once the last worker has recorded."""
    from tests.chaos import chaos_settings

    articles, site = workers_site(tmp_path, 20)
    marker = tmp_path / "recording"
    with site:
        first = start_worker(tmp_path / "w1", site, redis_url, "w1", "-s", "NEWSCRAWL_WORKER_TTL=10",
                             "-s", f"CHAOS_MARKER={marker}", *chaos_settings("SlowRecord"))
        deadline = time.monotonic() + 120
        while not marker.exists():
            assert first.poll() is None and time.monotonic() < deadline, first.communicate()[1][-2000:]
            time.sleep(0.02)
        second = start_worker(tmp_path / "w2", site, redis_url, "w2")
        for worker in (first, second):
            _, stderr = worker.communicate(timeout=120)
            assert worker.returncode == 0, stderr[-3000:]
    counts = union([tmp_path / "w1", tmp_path / "w2"])
    assert counts == Counter(site.url(a.url) for a in articles)
    assert finalized_items(tmp_path / "w2") == []  # it joined a crawl already done
    assert not redis.Redis.from_url(redis_url).exists("newscrawl:tribun:seeded")  # cleared at the end
