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
