"""A full disk (issue 19, item 9): one line naming the disk, no tracebacks, a report whole or
none, no file left behind; the next run, with room again, does the work exactly once.

The output and state folders live on a small tmpfs the test mounts (root, as in CI)."""
from __future__ import annotations

import os
import subprocess
from collections import Counter

import pytest

from tests.conftest import finalized_items, run_crawl
from tests.fixture_site import FixtureSite
from tests.sitegen import build_site, index_url


@pytest.fixture
def small_disk(tmp_path):
    mount = tmp_path / "disk"
    mount.mkdir()
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=400k", "tmpfs", str(mount)], capture_output=True)
    if done.returncode != 0:
        if os.environ.get("CI") == "true":
            pytest.fail(f"cannot mount a tmpfs for the full-disk test: {done.stderr.decode()}")
        pytest.skip("mounting a small tmpfs needs root: the full-disk test runs in CI")
    yield mount
    subprocess.run(["umount", "-l", str(mount)], check=False)


def test_a_disk_that_fills_up_mid_crawl_is_one_line_and_the_next_run_does_it_all(small_disk, tmp_path):
    articles = build_site(tmp_path / "site", 60)
    work = small_disk / "run"
    stats = ("-s", f"NEWSCRAWL_STATS_FILE={tmp_path / 'stats.json'}")
    with FixtureSite(tmp_path / "site") as site:
        crawl = ("-a", f"urls={site.url(index_url())}")
        full = run_crawl(work, *crawl)  # its stats file is on the full disk: read below from the log
        assert full.returncode == 4, full.stderr
        assert "Traceback" not in full.stderr and "Error caught on signal handler" not in full.stderr
        assert full.stderr.count(f"the disk of {small_disk} is full") == 1
        assert "FAILED (exit status 4)" in full.stderr
        reports = list(work.rglob("*.report.json"))
        assert all(r.stat().st_size > 0 for r in reports)  # whole, or none at all
        assert not list(work.rglob("*.part")) and not list(work.rglob(".newscrawl-write-test-*"))
        assert finalized_items(work) == []
        subprocess.run(["mount", "-o", "remount,size=20m", str(small_disk)], check=True)
        again = run_crawl(work, *stats, *crawl)
    assert again.returncode == 0, again.stderr
    assert Counter(i["url"] for i in finalized_items(work)) == Counter(site.url(a.url) for a in articles)


def test_a_full_disk_at_start_is_one_line_and_leaves_nothing(small_disk, tmp_path):
    work = small_disk / "run"
    (work / "output" / "tribun").mkdir(parents=True)
    (work / ".newscrawl").mkdir()
    with (small_disk / "filler").open("wb", buffering=0) as filler:  # every block taken
        try:
            while True:
                filler.write(b"\0" * 4096)
        except OSError:
            pass
    with FixtureSite() as site:
        run = run_crawl(work, "-a", f"urls={site.url('https://www.tribunnews.com/index-news?date=2020-5-4')}")
    assert run.returncode in (4, 73), run.stderr
    assert "Traceback" not in run.stderr
    assert f"the disk of {small_disk} is full" in run.stderr
    assert not list(work.rglob(".newscrawl-write-test-*")) and not list(work.rglob("*.part"))


def _fill(disk, leave: int) -> None:
    """Take every block of the disk but ``leave`` bytes."""
    filler = disk / "filler"
    with filler.open("wb", buffering=0) as handle:
        try:
            while True:
                handle.write(b"\0" * 4096)
        except OSError:
            pass
    os.truncate(filler, max(0, filler.stat().st_size - leave))


def test_a_state_store_that_cannot_be_created_is_one_line_and_no_lasting_stop(small_disk, tmp_path):
    """The state folder fills up while the store is created: exit 73 and one line, and no
    store without tables left behind to stop every later run as corrupt."""
    state = small_disk / "state"
    state.mkdir()
    _fill(small_disk, leave=8192)  # the run lock fits, the store does not
    with FixtureSite() as site:
        crawl = ("-s", f"NEWSCRAWL_STATE_DIR={state}", "-a",
                 f"urls={site.url('https://www.tribunnews.com/bisnis/2020/05/04/harga-emas-antam-naik')}")
        full = run_crawl(tmp_path / "work", *crawl)
        assert full.returncode == 73, full.stderr
        assert "Traceback" not in full.stderr
        [line] = [line for line in full.stderr.splitlines() if "cannot create the state store" in line]
        assert f"the disk of {small_disk} is full" in line
        assert not (state / "articles.sqlite3").exists()
        (small_disk / "filler").unlink()
        again = run_crawl(tmp_path / "work", *crawl)
    assert again.returncode == 0, again.stderr
    assert len(again.items()) == 1


def test_a_store_left_without_tables_is_created_anew(site, tmp_path):
    """What a creation cut short by an earlier version left: an SQLite file without tables."""
    import sqlite3

    (tmp_path / ".newscrawl").mkdir()
    sqlite3.connect(tmp_path / ".newscrawl" / "articles.sqlite3").execute("PRAGMA journal_mode=WAL").close()
    run = run_crawl(tmp_path, "-a", f"urls={site.url('https://www.tribunnews.com/bisnis/2020/05/04/harga-emas-antam-naik')}")
    assert run.returncode == 0, run.stderr
    assert len(run.items()) == 1


def test_a_disk_that_fills_up_while_the_wacz_is_packaged_names_the_file_and_the_disk(tmp_path):
    """The WARC fits, the WACZ built beside it does not: one line naming both."""
    build_site(tmp_path / "site", 10, realistic=True)
    wacz = ("-s", "NEWSCRAWL_ARCHIVE_FORMAT=wacz", "-s", f"NEWSCRAWL_STATE_DIR={tmp_path / 'state'}")
    with FixtureSite(tmp_path / "site") as site:
        crawl = ("-a", f"urls={site.url(index_url())}")
        sized = run_crawl(tmp_path / "sized", *wacz[:2], *crawl)
        assert sized.returncode == 0, sized.stderr
        warc = sum(p.stat().st_size for p in (tmp_path / "sized" / "output").rglob("*.wacz"))
        feed = sum(p.stat().st_size for p in (tmp_path / "sized" / "output").rglob("*.jsonl"))
        mount = tmp_path / "disk"
        mount.mkdir()
        size = (warc + feed + warc // 2) // 1024 + 64
        if subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size}k", "tmpfs", str(mount)]).returncode:
            if os.environ.get("CI") == "true":
                pytest.fail("cannot mount a tmpfs for the full-disk test")
            pytest.skip("mounting a small tmpfs needs root: the full-disk test runs in CI")
        try:
            run = run_crawl(mount, *wacz, "-s", f"NEWSCRAWL_STATS_FILE={tmp_path / 'stats.json'}", *crawl)
            leftovers = list(mount.rglob("*.part*")) + list(mount.rglob("*.wacz"))
        finally:
            subprocess.run(["umount", "-l", str(mount)], check=False)
    assert run.returncode == 4, run.stderr
    assert "Traceback" not in run.stderr
    [line] = [line for line in run.stderr.splitlines() if "Cannot package the web archive" in line]
    assert f"the disk of {mount} is full" in line and ".wacz" in line
    assert leftovers == []
