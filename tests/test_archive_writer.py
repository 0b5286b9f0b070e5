"""The web archive's writer process against kills, stops and failures (issue 19, items 4,
5 and 7): it never outlives the crawl, never hangs it, and a run whose archive failed is
never ok."""
from __future__ import annotations

import json
import os
import signal
import subprocess
import time
from pathlib import Path

import pytest

from tests.conftest import crawl_env, finalized_items, run_crawl, start_crawl
from tests.fixture_site import FixtureSite
from tests.sitegen import build_site, index_url


def processes() -> dict[int, tuple[int, str]]:
    """Every process of this machine: pid -> (parent pid, command line)."""
    found = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            cmdline = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
            parent = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
        except (OSError, ValueError, IndexError):
            continue
        found[int(entry.name)] = (parent, cmdline)
    return found


def children_of(pid: int) -> list[int]:
    return [child for child, (parent, _) in processes().items() if parent == pid]


def alive(pid: int) -> bool:
    try:
        state = (Path("/proc") / str(pid) / "stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


def writer_of(crawl: subprocess.Popen, timeout: float = 60) -> int:
    """The pid of the crawl's archive writer, once it archived a few pages."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        # One look at the process table: a child listed may be gone by a second look.
        writers = [pid for pid, (parent, cmdline) in processes().items()
                   if parent == crawl.pid and "newscrawl.archive.warcfile" in cmdline]
        if writers:
            return writers[0]
        time.sleep(0.05)
    raise AssertionError("the crawl started no archive writer")


def wait_for_archived(workdir: Path, size: int = 20_000, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        parts = list((workdir / "output").rglob("*.warc.gz.part"))
        if parts and parts[0].stat().st_size >= size:
            return
        time.sleep(0.05)
    raise AssertionError("nothing archived")


def test_a_crawl_killed_with_sigkill_leaves_no_process_behind(slow_site, tmp_path):
    crawl = start_crawl(tmp_path, slow_site)
    writer = writer_of(crawl)
    wait_for_archived(tmp_path)
    helpers = children_of(crawl.pid)  # the writer, and anything else the crawl started
    crawl.send_signal(signal.SIGKILL)
    crawl.wait(timeout=30)
    deadline = time.monotonic() + 10
    while any(alive(pid) for pid in helpers) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not any(alive(pid) for pid in helpers), [processes().get(p) for p in helpers if alive(p)]
    assert writer in helpers
    assert not any("resource_tracker" in cmd for _, cmd in processes().values() if str(tmp_path) in cmd)
    assert list((tmp_path / "output").rglob("*.warc.gz.part"))  # left as it was, for the next run


@pytest.mark.parametrize("how", ["kill", "stop then kill", "stop"])
def test_a_writer_that_dies_or_stops_fails_the_run_and_never_hangs_it(slow_site, tmp_path, how):
    crawl = start_crawl(tmp_path, slow_site, "-s", "NEWSCRAWL_ARCHIVE_TIMEOUT=3")
    writer = writer_of(crawl)
    wait_for_archived(tmp_path)
    os.kill(writer, signal.SIGKILL if how == "kill" else signal.SIGSTOP)
    if how == "stop then kill":
        time.sleep(1)
        os.kill(writer, signal.SIGKILL)
    try:
        _, stderr = crawl.communicate(timeout=60)
    finally:
        if crawl.poll() is None:
            crawl.kill()
        if how == "stop" and alive(writer):
            os.kill(writer, signal.SIGKILL)
    assert crawl.returncode == 4, stderr
    assert "FAILED (exit status 4)" in stderr and "archive writer" in stderr
    assert finalized_items(tmp_path) == []  # nothing of this run counts as exported
    assert not list((tmp_path / "output").rglob("*.part"))  # its files settled
    assert not list((tmp_path / ".newscrawl").glob("journal-*.jsonl"))
    rerun = run_crawl(tmp_path, "-a", f"urls={slow_site.url(index_url())}")
    assert rerun.returncode == 0, rerun.stderr
    assert len(finalized_items(tmp_path)) == 40  # the next run does all of it, once


def test_an_archive_that_cannot_be_opened_fails_the_run_at_once(tmp_path):
    """warcio missing in the writer (as the audit did it): the error is reported at once,
    the run stops and is failed, never ok."""
    build_site(tmp_path / "site", 40)
    shadow = tmp_path / "shadow" / "warcio"
    shadow.mkdir(parents=True)
    (shadow / "__init__.py").write_text('raise ImportError("warcio is not installed (test)")\n')
    env = crawl_env()
    env["PYTHONPATH"] = os.pathsep.join([str(shadow.parent), env["PYTHONPATH"]])
    with FixtureSite(tmp_path / "site") as site:
        crawl = start_crawl(tmp_path / "run", site, env=env)
        _, stderr = crawl.communicate(timeout=120)
    assert crawl.returncode == 4, stderr
    assert "warcio is not installed (test)" in stderr
    report = json.loads(next((tmp_path / "run" / "output").rglob("*.report.json")).read_text())
    assert report["verdict"] == "failed"
    assert report["counts"]["exported"] < 40  # stopped early, not at the end
    assert finalized_items(tmp_path / "run") == []
