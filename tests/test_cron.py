"""Cron-readiness: no overlap, surviving kill -9 and SIGTERM, loud verdicts, report, progress."""
from __future__ import annotations

import json
import os
import signal
import subprocess
import time
from collections import Counter
from pathlib import Path

import pytest

from newscrawl.run.runlock import RunLock
from tests.conftest import (
    archived_urls,
    crawl_command,
    crawl_env,
    finalized_items,
    run_crawl,
    start_crawl,
    wait_for_log,
)
from tests.fixture_site import FixtureSite
from tests.sitegen import build_site, index_url

EMAS = "https://www.tribunnews.com/bisnis/2020/05/04/harga-emas-antam-naik"
INDEX = "https://www.tribunnews.com/index-news?date=2020-5-4"


# ---- no overlap ------------------------------------------------------------------------------

def test_a_second_run_on_the_same_state_dir_exits_at_once(site, tmp_path):
    lock = RunLock.for_state_dir(tmp_path / ".newscrawl").acquire()
    try:
        run = run_crawl(tmp_path, "-a", f"urls={site.url(EMAS)}")
    finally:
        lock.release()
    assert run.returncode == 75
    [line] = run.stderr.strip().splitlines()
    assert "another run holds" in line and "run.lock" in line and "not starting" in line
    assert site.requests == [] and not (tmp_path / "output").exists()


def test_a_stale_lock_of_a_killed_run_is_taken_over_with_a_warning(site, tmp_path):
    (tmp_path / ".newscrawl").mkdir()
    (tmp_path / ".newscrawl" / "run.lock").write_text("pid=999999 started=2026-01-01T00:00:00+00:00\n")
    run = run_crawl(tmp_path, "-a", f"urls={site.url(EMAS)}")
    assert run.returncode == 0, run.stderr
    assert "WARNING: The previous run (pid 999999) did not finish cleanly" in run.stderr
    assert len(run.items()) == 1
    assert (tmp_path / ".newscrawl" / "run.lock").read_text() == ""  # released cleanly


# ---- kill -9 and SIGTERM -----------------------------------------------------------------------

def wait_for_lines(workdir: Path, pattern: str, count: int, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        files = list(workdir.rglob(pattern))
        if files and sum(len(f.read_bytes().splitlines()) for f in files) >= count:
            return
        time.sleep(0.05)
    raise AssertionError(f"no {count} lines in {pattern} after {timeout}s")


def assert_each_article_exactly_once(workdir: Path, site: FixtureSite) -> None:
    items = finalized_items(workdir)  # every line of every finalized file parses
    urls = Counter(item["url"] for item in items)
    assert urls == Counter(site.url(a.url) for a in site.articles)
    bodies = {item["url"]: item["body"] for item in items}
    assert all(bodies[site.url(a.url)] == a.body for a in site.articles)


def test_after_kill_9_the_next_run_completes_the_work_exactly_once(slow_site, tmp_path):
    crawl = start_crawl(tmp_path, slow_site)
    wait_for_lines(tmp_path / "output", "*.jsonl.part", 8)
    crawl.send_signal(signal.SIGKILL)
    crawl.wait(timeout=30)
    assert finalized_items(tmp_path) == []  # the killed run finalized nothing...
    assert not list((tmp_path / "output").rglob("*.warc.gz"))  # (its archive neither)
    assert list((tmp_path / "output").rglob("*.warc.gz.part"))
    assert list((tmp_path / ".newscrawl").glob("journal-*.jsonl"))  # ...and left its journal

    rerun = run_crawl(tmp_path, "-a", f"urls={slow_site.url(index_url())}")
    assert rerun.returncode == 0, rerun.stderr
    assert rerun.stat("state/discarded") >= 8 and "its unfinished output was discarded" in rerun.stderr
    assert not list((tmp_path / "output").rglob("*.part"))
    assert not list((tmp_path / ".newscrawl").glob("journal-*.jsonl"))
    assert_each_article_exactly_once(tmp_path, slow_site)
    [archive] = (tmp_path / "output").rglob("*.warc.gz")  # the rerun's, whole: every page once
    assert Counter(archived_urls(archive)) == Counter(
        slow_site.url(a.url) + (f"?page={n}" if n > 1 else "") for a in slow_site.articles
        for n in range(1, len(a.pages) + 1))


def test_sigterm_finalizes_the_feed_and_the_next_run_does_the_rest(slow_site, tmp_path):
    crawl = start_crawl(tmp_path, slow_site)
    wait_for_lines(tmp_path / "output", "*.jsonl.part", 8)
    crawl.send_signal(signal.SIGTERM)
    _, stderr = crawl.communicate(timeout=60)
    assert crawl.returncode == 6, stderr  # interrupted: finalized, the rest left for next run
    first = finalized_items(tmp_path)
    assert 8 <= len(first) < len(slow_site.articles)
    assert not list((tmp_path / "output").rglob("*.part"))
    report = json.loads(next((tmp_path / "output").rglob("*.report.json")).read_text())
    assert report["verdict"] == "interrupted" and report["counts"]["exported"] == len(first)

    rerun = run_crawl(tmp_path, "-a", f"urls={slow_site.url(index_url())}")
    assert rerun.returncode == 0, rerun.stderr
    assert rerun.stat("articles/known") == len(first)
    assert_each_article_exactly_once(tmp_path, slow_site)


def test_a_second_signal_stops_at_once_reports_and_never_exits_0(slow_site, tmp_path):
    """The second Ctrl-C stops the reactor under the engine, as kill -9 would stop the
    process: exit 6 and a report all the same; the next run settles its files."""
    from tests.chaos import chaos_middlewares

    crawl = start_crawl(tmp_path, slow_site, *chaos_middlewares("HangOne"))  # the first stop waits for it
    wait_for_lines(tmp_path / "output", "*.jsonl.part", 8)
    crawl.send_signal(signal.SIGINT)
    wait_for_log(crawl, "Received SIGINT, shutting down gracefully")
    crawl.send_signal(signal.SIGINT)
    _, stderr = crawl.communicate(timeout=60)
    assert crawl.returncode == 6, stderr
    report = json.loads(next((tmp_path / "output").rglob("*.report.json")).read_text())
    assert report["verdict"] == "interrupted" and report["finish_reason"] == "killed"
    assert "stopped at once by a second signal" in report["problems"][0]
    assert "INTERRUPTED (exit status 6)" in stderr
    rerun = run_crawl(tmp_path, "-a", f"urls={slow_site.url(index_url())}")
    assert rerun.returncode == 0, rerun.stderr
    assert_each_article_exactly_once(tmp_path, slow_site)
    assert not list((tmp_path / "output").rglob("*.part"))


def test_a_second_signal_to_a_replay_leaves_no_part_file(slow_site, tmp_path):
    from tests.chaos import chaos_middlewares

    first = run_crawl(tmp_path / "crawl", "-a", f"urls={slow_site.url(index_url())}")
    assert first.returncode == 0, first.stderr
    [archive] = (tmp_path / "crawl" / "output").rglob("*.warc.gz")
    replay = subprocess.Popen(crawl_command(*chaos_middlewares("HangOne"), "-a", f"archive={archive}"),
                              cwd=tmp_path, env=crawl_env(), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    wait_for_lines(tmp_path / "output", "*.jsonl.part", 5)
    replay.send_signal(signal.SIGTERM)
    wait_for_log(replay, "Received SIGTERM, shutting down gracefully")
    replay.send_signal(signal.SIGTERM)
    _, stderr = replay.communicate(timeout=60)
    assert replay.returncode == 6, stderr
    assert not list((tmp_path / "output").rglob("*.part")) and not list((tmp_path / "output").rglob("*.jsonl"))
    report = json.loads(next((tmp_path / "output").rglob("*.report.json")).read_text())
    assert report["verdict"] == "interrupted" and "unfinished files were removed" in report["problems"][0]


def killed_run(tmp_path: Path, site: FixtureSite, committed: bool, renamed: bool) -> list[Path]:
    """A run with the CSV feed on, as a kill -9 leaves it: its journal (with or without the
    commit record), its files complete as .part, renamed or not. Returns the final paths."""
    from newscrawl.dedup.store import article_keys

    first = run_crawl(tmp_path, "-s", "NEWSCRAWL_CSV_FEED=1", "-a", f"urls={site.url(EMAS)}")
    output = tmp_path / "output" / "tribun"
    finals = sorted(output.glob("tribun-*.*sv")) + sorted(output.glob("tribun-*.warc.gz")) + first.feed_files()
    assert len(finals) == 3  # JSONL, CSV and the web archive
    item = first.items()[0]
    for suffix in ("", "-wal", "-shm"):  # as if never recorded
        (tmp_path / ".newscrawl" / f"articles.sqlite3{suffix}").unlink(missing_ok=True)
    records = [{"feed": str(f.resolve())} for f in finals]
    records.append({"keys": article_keys(item["url"], item["site"], item["article_id"]), "url": item["url"]})
    records += [{"commit": True}] if committed else []
    (tmp_path / ".newscrawl" / f"journal-{first.stats['newscrawl/run']}.jsonl").write_text("\n".join(map(json.dumps, records)) + '\n{"keys": [1, 2')
    for final in finals:
        os.utime(final, (1_000_000, 1_000_000))  # a clock far off: timestamps decide nothing
        if not renamed:
            final.rename(final.with_name(final.name + ".part"))
    return finals


@pytest.mark.parametrize("renamed", [True, False])
def test_a_run_killed_after_its_commit_has_all_its_feeds_finalized_and_recorded(site, tmp_path, renamed):
    from newscrawl.dedup.store import SqliteArticleStore

    finals = killed_run(tmp_path, site, committed=True, renamed=renamed)
    second = run_crawl(tmp_path, "-a", f"urls={site.url(EMAS)}")
    assert second.stat("state/recovered") == 1 and second.stat("articles/known") == 1
    assert all(f.exists() and not f.with_name(f.name + ".part").exists() for f in finals)  # JSONL, CSV, WARC
    assert len(finalized_items(tmp_path)) == 1
    assert SqliteArticleStore(tmp_path / ".newscrawl" / "articles.sqlite3").count() == 2


def test_a_run_killed_before_its_commit_leaves_none_of_its_feeds(site, tmp_path):
    finals = killed_run(tmp_path, site, committed=False, renamed=False)
    second = run_crawl(tmp_path, "-a", f"urls={site.url(EMAS)}")
    assert second.stat("state/discarded") == 1 and second.stat("articles/known") == 0
    report = json.loads(next((tmp_path / "output").rglob(f"*{second.stats['newscrawl/run']}.report.json")).read_text())
    assert any(w.startswith("took over a run that died: run ") and "1 articles will be fetched again" in w
               for w in report["warnings"])  # where operators look, not only a log line
    assert not any(f.exists() or f.with_name(f.name + ".part").exists() for f in finals)
    assert len(finalized_items(tmp_path)) == 1  # exported again, by the second run


INDEX_2020 = "https://www.tribunnews.com/index-news?date=2020-5-4"


@pytest.mark.parametrize("output", [[], ["-o", "articles.jsonl"]], ids=["default feed", "-o"])
def test_no_feed_gets_its_final_name_before_the_commit(site, tmp_path, output):
    """The default feed and -o append: once renamed outside the commit, a kill -9 right
    then made the next run export every article again (issue 19, item 1)."""
    from tests.chaos import chaos_settings

    first = run_crawl(tmp_path, *output, *chaos_settings("KillWhenAFinalFeedAppears"),
                      "-a", f"urls={site.url(INDEX_2020)}")
    assert first.returncode == 0, first.stderr  # never killed: no final name before the commit
    second = run_crawl(tmp_path, *output, "-a", f"urls={site.url(INDEX_2020)}")
    assert second.returncode == 0 and second.stat("articles/known") == 4
    lines = [json.loads(line) for f in [*(tmp_path / "output").rglob("*.jsonl"), tmp_path / "articles.jsonl"]
             if f.exists() for line in f.read_text().splitlines()]
    assert sorted(Counter(item["url"] for item in lines).values()) == [1, 1, 1, 1]


def test_a_jobdir_whose_run_ended_does_not_swallow_the_next_run(tmp_path):
    """A JOBDIR given again after its run finished: was 0 requests, dupefilter/filtered 1,
    verdict ok (issue 19, item 11). It starts afresh and says so."""
    build_site(tmp_path / "site", 10, pages_mix=(1,))
    with FixtureSite(tmp_path / "site") as site:
        crawl = ("-s", f"JOBDIR={tmp_path / 'job'}", "-a", f"urls={site.url(index_url())}")
        first = run_crawl(tmp_path / "run", *crawl)
        assert first.returncode == 0 and len(finalized_items(tmp_path / "run")) == 10, first.stderr
        assert (tmp_path / "job" / "newscrawl-finished").exists()
        build_site(tmp_path / "site", 12, pages_mix=(1,))  # two new articles on the index page
        second = run_crawl(tmp_path / "run", *crawl, "-s", f"LOG_FILE={tmp_path / 'job.log'}")  # as under Scrapyd
    assert second.returncode == 0, second.stderr
    said = f"INFO: JOBDIR {tmp_path / 'job'} holds a run that ended, not a paused one: starting afresh"
    assert said in second.stderr and said in (tmp_path / "job.log").read_text()  # the job's own log too
    assert second.stats.get("dupefilter/filtered", 0) == 0 and second.stat("articles/known") == 10
    assert len(finalized_items(tmp_path / "run")) == 12


def test_an_appended_feed_is_committed_once_however_often_the_commit_is_redone(tmp_path):
    from newscrawl.output.journal import finish_renames

    final = tmp_path / "articles.jsonl"
    final.write_text('{"earlier": 1}\n')
    appends = {final: final.stat().st_size}
    (tmp_path / "articles.jsonl.r1.part").write_text('{"this run": 1}\n')
    finish_renames([final], "r1", appends)
    # A kill after the append, before the .part was gone: the next run finishes again.
    (tmp_path / "articles.jsonl.r1.part").write_text('{"this run": 1}\n')
    finish_renames([final], "r1", appends)
    assert final.read_text() == '{"earlier": 1}\n{"this run": 1}\n'


# ---- verdicts, report, progress ----------------------------------------------------------------

def test_a_healthy_run_writes_its_report_beside_the_output(site, tmp_path):
    run = run_crawl(tmp_path, "-a", f"urls={site.url(INDEX)}")
    assert run.returncode == 0
    [feed] = run.feed_files()
    report = json.loads(feed.with_name(feed.name.replace(".jsonl", ".report.json")).read_text())
    assert report["verdict"] == "ok" and report["exit_status"] == 0 and report["problems"] == []
    counts = report["counts"]
    assert (counts["discovered"], counts["fetched"], counts["exported"]) == (4, 4, 4)
    assert report["coverage"]["title"] == 100.0 and report["coverage"]["image_caption"] == 25.0
    assert report["started_at"] and report["finished_at"] and report["run"] in feed.name
    assert "OK (exit status 0)" in run.stderr and "4 fetched, 4 exported" in run.stderr


def test_a_run_with_nothing_new_still_reports(site, tmp_path):
    run_crawl(tmp_path, "-a", f"urls={site.url(EMAS)}")
    again = run_crawl(tmp_path, "-a", f"urls={site.url(EMAS)}")
    assert again.returncode == 0
    reports = sorted((tmp_path / "output").rglob("*.report.json"))
    assert len(reports) == 2
    assert json.loads(reports[-1].read_text())["counts"]["skipped_known"] == 1


def test_a_changed_site_is_an_error_and_exit_status_3(tmp_path):
    build_site(tmp_path / "site", 8)
    for page in (tmp_path / "site").rglob("artikel-nomor-*.html"):  # the site's new markup
        page.write_text(page.read_text().replace('id="arttitle"', 'class="headline"')
                        .replace("side-article txt-article", "content-body").replace("<p>", "<span>"))
    with FixtureSite(tmp_path / "site") as changed:
        run = run_crawl(tmp_path / "run", "-s", "NEWSCRAWL_NEAR_DUPLICATES=off", "-a",
                        f"urls={changed.url(index_url())}")
    assert run.returncode == 3, run.stderr
    assert "ERROR: Run" in run.stderr and "SITE_CHANGED" in run.stderr
    assert "8 of 8 article pages lack required fields" in run.stderr
    assert run.stats["newscrawl/verdict"] == "site_changed"


@pytest.mark.parametrize("status, verdict, exit_status", [(403, "blocked", 5), (503, "failed", 4)])
def test_a_crawl_that_is_refused_is_an_error(tmp_path, status, verdict, exit_status):
    articles = build_site(tmp_path / "site", 8)
    with FixtureSite(tmp_path / "site") as refusing:
        refusing.faults.update({a.url: status for a in articles})
        run = run_crawl(tmp_path / "run", "-a", f"urls={','.join(refusing.url(a.url) for a in articles)}")
    assert run.returncode == exit_status, run.stderr
    assert run.stats["newscrawl/verdict"] == verdict
    problems = [line for line in run.stderr.splitlines() if "problem:" in line]
    assert any("requests failed" in p and f"HTTP {status}: " in p for p in problems)


def test_progress_is_logged_at_the_interval(slow_site, tmp_path):
    run = run_crawl(tmp_path, "-s", "NEWSCRAWL_PROGRESS_INTERVAL=0.5", "-a", f"urls={slow_site.url(index_url())}")
    lines = [line for line in run.stderr.splitlines() if "Progress:" in line]
    assert len(lines) >= 2
    assert "articles exported" in lines[-1] and "/min" in lines[-1] and "requests queued" in lines[-1]


def test_backfill_progress_estimates_the_time_left(tmp_path):
    from newscrawl.run.progress import Progress
    from newscrawl.spiders.tribun import TribunSpider
    from tests.conftest import project_crawler

    crawler = project_crawler(tmp_path)
    spider = TribunSpider.from_crawler(crawler, since="2021-05-01", until="2021-05-04")
    spider._days_reached.update({"2021-5-4", "2021-5-3"})
    progress = Progress(crawler, 60)
    progress.started -= 120  # two minutes in
    line = progress.line(spider)
    assert "backfill: 2 of 4 days reached, about 2 min left" in line


def test_sigterm_does_not_wait_out_a_long_retry_after(site, tmp_path):
    # Page 2 answers 429 "come back in 100 s"; systemd kills after 90 s, Docker after 10.
    cabai = "https://makassar.tribunnews.com/2022/08/19/harga-cabai-rawit-di-pasar-terong-makassar-tembus-rp-80-ribu"
    site.faults[f"{cabai}?page=2"] = [("retry-after", "100")]
    stats_file = tmp_path / "stats.json"
    crawl = subprocess.Popen(crawl_command("-s", f"NEWSCRAWL_STATS_FILE={stats_file}", "-a", f"urls={site.url(cabai)}"),
                             cwd=tmp_path, env=crawl_env(), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    wait_for_log(crawl, "asks to wait 100 s (Retry-After)")  # the crawl is now waiting on it
    crawl.send_signal(signal.SIGTERM)
    _, stderr = crawl.communicate(timeout=20)  # not 100 s
    assert crawl.returncode == 6, stderr
    stats = json.loads(stats_file.read_text())
    assert stats["newscrawl/retries/abandoned_at_stop"] == 1
    assert finalized_items(tmp_path) == []  # the half-fetched article is left for the next run
    assert not list((tmp_path / ".newscrawl").glob("journal-*"))


def test_run_files_sort_in_run_order_whatever_the_clock(site, tmp_path):
    # The number comes from the state folder, under the run lock; the time only follows it.
    for url in (EMAS, INDEX):
        assert run_crawl(tmp_path, "-a", f"urls={site.url(url)}").returncode == 0
    (tmp_path / ".newscrawl" / "run.lock.seq").write_text("9\n")  # e.g. a restored state folder
    assert run_crawl(tmp_path, "-s", "NEWSCRAWL_INCREMENTAL=0", "-a", f"urls={site.url(EMAS)}").returncode == 0
    names = sorted(p.name for p in (tmp_path / "output" / "tribun").glob("*.jsonl"))
    assert [n.split("-")[1] for n in names] == ["00000001", "00000002", "00000010"]


def test_the_run_number_comes_before_the_time_in_the_run_id(tmp_path):
    from newscrawl.output.feeds import run_id
    from tests.conftest import project_crawler

    tenth = run_id(project_crawler(tmp_path, NEWSCRAWL_RUN_NUMBER=10))  # read the clock first ...
    ninth = run_id(project_crawler(tmp_path, NEWSCRAWL_RUN_NUMBER=9))  # ... this one later
    assert ninth < tenth and tenth.startswith("00000010-")


def test_two_state_folders_never_write_the_same_sites_into_one_output_folder(site, tmp_path):
    # The README's crontab: www every 15 minutes, the regional sites in a long backfill with
    # its own state folder, one output folder. Overlapping sites would be exported twice.
    index = site.url(INDEX)
    first = subprocess.Popen(crawl_command("-s", "DOWNLOAD_DELAY=5", "-a", f"urls={index}"),
                             cwd=tmp_path, env=crawl_env(), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 30
        while not list((tmp_path / "output" / ".newscrawl-claims-tribun").glob(".newscrawl-run-*.claim")):
            assert first.poll() is None and time.monotonic() < deadline, "the first run never started"
            time.sleep(0.05)
        same_sites = run_crawl(tmp_path, "-s", "NEWSCRAWL_STATE_DIR=.newscrawl-other", "-a", f"urls={index}")
        assert same_sites.returncode == 75
        [line] = same_sites.stderr.strip().splitlines()
        assert "a run with another state folder" in line and "would be exported twice" in line
        other_site = site.url("https://makassar.tribunnews.com/2022/08/19/"
                              "harga-cabai-rawit-di-pasar-terong-makassar-tembus-rp-80-ribu")
        disjoint = run_crawl(tmp_path, "-s", "NEWSCRAWL_STATE_DIR=.newscrawl-other", "-a", f"urls={other_site}")
        assert disjoint.returncode == 0, disjoint.stderr  # other sites: harmless, allowed
    finally:
        first.terminate()
        first.communicate(timeout=60)
    assert not list((tmp_path / "output" / ".newscrawl-claims-tribun").glob(".newscrawl-run-*.claim"))  # released


def test_a_corrupt_store_is_one_line_and_exit_73_an_emptied_one_a_warning(site, tmp_path):
    assert run_crawl(tmp_path, "-a", f"urls={site.url(EMAS)}").returncode == 0
    store = tmp_path / ".newscrawl" / "articles.sqlite3"
    for suffix in ("-wal", "-shm"):
        Path(f"{store}{suffix}").unlink(missing_ok=True)
    store.write_bytes(b"this is not a database, it was overwritten" * 100)
    corrupt = run_crawl(tmp_path, "-a", f"urls={site.url(EMAS)}")
    assert corrupt.returncode == 73
    [line] = corrupt.stderr.strip().splitlines()
    assert "the state store" in line and "is corrupt" in line and "move it away to start afresh" in line
    store.write_bytes(b"")  # emptied (a failed copy, a full disk)
    emptied = run_crawl(tmp_path, "-a", f"urls={site.url(EMAS)}")
    assert emptied.returncode == 0, emptied.stderr  # the article is exported again, and the report says why
    assert "warning: the state store" in emptied.stderr and "holds 1 output file(s) of earlier runs" in emptied.stderr
    report = json.loads(sorted((tmp_path / "output" / "tribun").glob("*.report.json"))[-1].read_text())
    assert len(report["warnings"]) == 1
