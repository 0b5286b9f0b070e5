"""Shared test helpers: the local fixture site and real `scrapy crawl tribun` runs."""
from __future__ import annotations

import inspect
import json
import os
import re
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from tests.fixture_site import FixtureSite
from tests.zygote import Zygote

REPO = Path(__file__).resolve().parent.parent
# Every process a test starts inherits this mark (crawls, forked replay workers, writer
# processes, redis-server, Scrapyd, pywb): the end of the session finds those still running.
SESSION_MARK = "NEWSCRAWL_TEST_SESSION"
os.environ.setdefault(SESSION_MARK, f"{os.getpid()}-{time.time_ns()}")  # xdist workers inherit it


def marked_processes() -> dict[int, str]:
    """Live processes of this test session (pid -> command line), but pytest's own: those
    carrying the session's mark in their environment, and every descendant of this process
    (where another process's environment cannot be read, the mark alone would see none)."""
    mark = f"{SESSION_MARK}={os.environ[SESSION_MARK]}".encode()
    me, parents, found, commands = os.getpid(), {}, set(), {}
    for entry in Path("/proc").glob("[0-9]*"):
        try:
            pid = int(entry.name)
            state, ppid = (entry / "stat").read_text().rsplit(")", 1)[1].split()[:2]
            if state == "Z":
                continue  # dead, waiting for its parent
            parents[pid] = int(ppid)
            commands[pid] = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace").strip()
        except (OSError, ValueError):
            continue
        try:
            if mark in (entry / "environ").read_bytes().split(b"\0"):
                found.add(pid)
        except OSError:
            pass
    for pid in parents:
        ancestor, hops = parents[pid], 0
        while ancestor > 1 and ancestor != me and hops < 64:
            ancestor, hops = parents.get(ancestor, 0), hops + 1
        if ancestor == me:
            found.add(pid)
    return {pid: commands.get(pid, "") for pid in found - {me}
            if pid in parents and "sys.stdin.readline()" not in commands.get(pid, "")}  # not xdist's workers


def kill_tree(root: int) -> None:
    """SIGKILL a process and all its descendants, whatever their process group (found
    first: once the root is dead they belong to init)."""
    parents = {}
    for entry in Path("/proc").glob("[0-9]*"):
        try:
            parents[int(entry.name)] = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
        except (OSError, ValueError, IndexError):
            continue
    tree, grew = {root}, True
    while grew:
        grew = False
        for pid, ppid in parents.items():
            if ppid in tree and pid not in tree:
                tree.add(pid)
                grew = True
    for pid in tree:
        try:
            os.kill(pid, signal.SIGKILL)
        except OSError:
            pass


# The tiers: a test that starts processes (a crawl through the real engine, a dataset
# build, a server) is end-to-end, marked ``e2e``; the rest is unit logic in-process, run
# alone by ``pytest -m "not e2e"`` in seconds.
E2E_WORDS = re.compile(r"\b(run_crawl|start_crawl|crawl_command|forked|subprocess|Popen|FixtureSite|RedisServer)\b")


def starts_processes(function, depth: int = 2, seen: set | None = None) -> bool:
    """Whether a test function (or a helper of the test modules it calls) starts processes."""
    seen = seen if seen is not None else set()
    if function in seen:
        return False
    seen.add(function)
    try:
        source = inspect.getsource(function)
    except (OSError, TypeError):
        return False
    if E2E_WORDS.search(source):
        return True
    if depth == 0:
        return False
    names = set(re.findall(r"\b([A-Za-z_]\w*)\(", source))
    helpers = [function.__globals__.get(name) for name in names]
    return any(starts_processes(h, depth - 1, seen) for h in helpers
               if inspect.isfunction(h) and h.__module__.startswith("tests."))


def pytest_collection_modifyitems(config, items):
    for item in items:
        if not isinstance(item, pytest.Function):
            continue
        fixtures = [definitions[-1].func for definitions in item._fixtureinfo.name2fixturedefs.values()]
        if any(starts_processes(f) for f in [item.function, *fixtures]):
            item.add_marker(pytest.mark.e2e)


ZYGOTE = Zygote()  # this test process's (tests/zygote.py)


@pytest.hookimpl(trylast=True)
def pytest_sessionfinish(session, exitstatus):
    """No test leaves a process behind: one still running a few seconds after the last test
    fails the run (and is killed, so that it does not run on for minutes)."""
    ZYGOTE.close()  # this process's own, in every test process
    if hasattr(session.config, "workerinput"):
        return  # an xdist worker: the controller looks once every worker is gone
    deadline = time.monotonic() + 5
    while (left := marked_processes()) and time.monotonic() < deadline:
        time.sleep(0.1)
    if not left:
        return
    for pid in left:
        try:
            os.kill(pid, signal.SIGKILL)
        except OSError:
            pass
    lines = "\n".join(f"  pid {pid}: {command[:200]}" for pid, command in sorted(left.items()))
    session.config.get_terminal_writer().line(f"\nFAILED: {len(left)} process(es) left behind by the tests "
                                               f"(killed now):\n{lines}", red=True)
    session.exitstatus = pytest.ExitCode.TESTS_FAILED
# Politeness off for local fixture servers: no AutoThrottle start delay, no waits.
# NEWSCRAWL_PAGE_ALL=off: the fixture sites serve no ?page=all view (tests/sitegen.py writes
# one when asked), and a crawl of them would try one per site; tests/test_page_all.py sets it.
FAST = ["-s", "AUTOTHROTTLE_ENABLED=0", "-s", "DOWNLOAD_DELAY=0", "-s", "DOWNLOAD_TIMEOUT=10",
        "-s", "RETRY_TIMES=1", "-s", "NEWSCRAWL_RETRY_BACKOFF_BASE=0.05", "-s", "NEWSCRAWL_PAGE_ALL=off"]


@dataclass
class CrawlRun:
    returncode: int
    stdout: str
    stderr: str
    workdir: Path
    stats: dict = field(default_factory=dict)

    def feed_files(self) -> list[Path]:
        return sorted((self.workdir / "output").rglob("*.jsonl"))

    def items(self) -> list[dict]:
        files = self.feed_files()
        assert len(files) == 1, f"expected one feed file, found {files}"
        return [json.loads(line) for line in files[0].read_text(encoding="utf-8").splitlines()]

    def stat(self, key: str) -> int:
        return self.stats.get(f"newscrawl/{key}", 0)


def run_crawl(workdir: Path, *args: str, fast: bool = True, timeout: int = 120) -> CrawlRun:
    """Run ``scrapy crawl tribun ARGS`` in a subprocess with ``workdir`` as its cwd.

    The default feed (``output/tribun/*.jsonl``) lands under ``workdir``; final stats
    are read back from ``NEWSCRAWL_STATS_FILE``.
    """
    workdir.mkdir(parents=True, exist_ok=True)
    stats_file = workdir / "stats.json"
    stats_file.unlink(missing_ok=True)
    command = crawl_command("-s", f"NEWSCRAWL_STATS_FILE={stats_file}", *args, fast=fast)
    done = forked(command, workdir, timeout)
    run = CrawlRun(done.returncode, done.stdout, done.stderr, workdir)
    if stats_file.exists():
        run.stats = json.loads(stats_file.read_text())
    return run


@pytest.fixture
def slow_site(tmp_path):
    """A generated site of 40 articles answering after 50 ms: a crawl lasts long enough to
    be killed or signalled mid-way. ``.articles`` is what each article should merge to."""
    from tests.sitegen import build_site

    articles = build_site(tmp_path / "site", 40)
    with FixtureSite(tmp_path / "site", delay=0.05) as running:
        running.articles = articles
        yield running


def start_crawl(workdir: Path, site: FixtureSite, *args: str, env: dict | None = None) -> subprocess.Popen:
    """``scrapy crawl tribun`` of the site's index in the background (two requests at a time)."""
    from tests.sitegen import index_url

    workdir.mkdir(parents=True, exist_ok=True)
    return subprocess.Popen(crawl_command("-s", "CONCURRENT_REQUESTS_PER_DOMAIN=2", *args,
                                          "-a", f"urls={site.url(index_url())}"),
                            cwd=workdir, env=env or crawl_env(), stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)


@pytest.fixture
def site():
    with FixtureSite() as running:
        yield running


def project_crawler(tmp_path: Path, **overrides):
    """A Crawler with the project's settings and its extensions built (no engine).

    The state dir defaults to ``tmp_path/state``; pipelines are then built with
    ``Pipeline.from_crawler(crawler)`` exactly as the engine builds them.
    """
    from scrapy.utils.test import get_crawler

    import newscrawl.settings as project
    from newscrawl.spiders.tribun import TribunSpider

    settings = {name: getattr(project, name) for name in dir(project) if name.isupper()}
    settings.update(NEWSCRAWL_STATE_DIR=str(tmp_path / "state"), **overrides)
    return get_crawler(TribunSpider, settings)


def wait_for_log(process: subprocess.Popen, text: str, timeout: float = 60) -> None:
    """Read the process's stderr until a line holds ``text`` (the rest stays readable
    through communicate(): what was read is put back in ``process.seen``)."""
    deadline = time.monotonic() + timeout
    seen = getattr(process, "seen", "")
    while text not in seen:
        line = process.stderr.readline()
        if not line or time.monotonic() > deadline:
            raise AssertionError(f"{text!r} never logged; got:\n{seen}")
        seen += line
    process.seen = seen


def forked(command: list[str], cwd: Path | None, timeout: float) -> subprocess.CompletedProcess:
    """``subprocess.run`` of ``[python, -m, module, ...]`` (capturing its text output) in
    the crawl environment, forked from this test process's zygote (tests/zygote.py: the
    imports done once) unless NEWSCRAWL_TEST_ZYGOTE=0."""
    if os.environ.get("NEWSCRAWL_TEST_ZYGOTE", "1") != "0":
        return ZYGOTE.run(command, cwd or Path.cwd(), crawl_env(), timeout)
    return subprocess.run(command, cwd=cwd, env=crawl_env(), capture_output=True, text=True, timeout=timeout)


def crawl_command(*args: str, fast: bool = True) -> list[str]:
    return [sys.executable, "-m", "scrapy", "crawl", "tribun", *(FAST if fast else []), *args]


def crawl_env() -> dict[str, str]:
    return {**os.environ, "SCRAPY_SETTINGS_MODULE": "newscrawl.settings",
            "PYTHONPATH": os.pathsep.join([str(REPO), os.environ.get("PYTHONPATH", "")])}


def finalized_items(workdir: Path) -> list[dict]:
    """Every line of every finalized feed file under workdir/output (each must be JSON)."""
    items = []
    for feed in sorted((workdir / "output").rglob("*.jsonl")):
        items.extend(json.loads(line) for line in feed.read_text(encoding="utf-8").splitlines())
    return items


def records(path: Path) -> list:
    """Every record of a WARC file, read by warcio to its end (payloads read as they go)."""
    from warcio.archiveiterator import ArchiveIterator

    out = []
    with path.open("rb") as stream:
        for record in ArchiveIterator(stream):
            record.payload = record.content_stream().read()
            out.append(record)
    return out


def archived_urls(archive: Path) -> list[str]:
    """The URL of every response in a WARC file, read to its end by warcio."""
    from warcio.archiveiterator import ArchiveIterator

    with archive.open("rb") as stream:
        return [r.rec_headers.get_header("WARC-Target-URI") for r in ArchiveIterator(stream)
                if r.rec_type == "response"]


class RedisServer:
    """A real redis-server on a free port, without persistence (stop() to kill it)."""

    def __init__(self, folder: Path) -> None:
        import shutil
        import socket

        binary = shutil.which("redis-server")
        if binary is None:
            if os.environ.get("CI") == "true":
                pytest.fail("redis-server is missing: .ci/run must install it (apt-get install -y redis-server)")
            pytest.skip("redis-server is not installed: apt-get install -y redis-server (or your OS's package)")
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            self.port = probe.getsockname()[1]
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.process = subprocess.Popen([binary, "--port", str(self.port), "--bind", "127.0.0.1", "--save", "",
                                         "--appendonly", "no", "--dir", str(folder)],
                                        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        self._wait()

    def _wait(self) -> None:
        import time

        import redis

        deadline = time.monotonic() + 10
        while True:
            try:
                redis.Redis.from_url(self.url).ping()
                return
            except redis.ConnectionError:
                if time.monotonic() > deadline:
                    self.process.kill()
                    raise
                time.sleep(0.05)

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=10)


@pytest.fixture
def redis_server(tmp_path):
    server = RedisServer(tmp_path)
    yield server
    server.stop()


@pytest.fixture
def redis_url(redis_server):
    """The URL of a real redis-server started for the test."""
    return redis_server.url
