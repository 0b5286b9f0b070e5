"""The run's archive as a WACZ (README "Archive and re-extraction", WACZ): py-wacz's
validator accepts it; its CDXJ index points at every archived response; its page list has
one entry per exported article; our replay reads it back into the same items; a WACZ that
cannot be written fails the run and leaves no file of it final.
"""
from __future__ import annotations

import contextlib

import io
import json
import os
import shutil
import socket
import struct
import subprocess
import sys
import time
import urllib.request
import zipfile
from pathlib import Path
from typing import Iterator

import pytest
from warcio.archiveiterator import ArchiveIterator

from tests.chaos import chaos_settings
from tests.conftest import kill_tree, run_crawl

INDEX_2020 = "https://www.tribunnews.com/index-news?date=2020-5-4"
WACZ = ["-s", "NEWSCRAWL_ARCHIVE_FORMAT=wacz"]
# pywb pins redis 2 and cannot share the project's venv: .ci/run gives it one of its own.
PYWB = Path(__file__).resolve().parent.parent / ".pywb-venv" / "bin"
PYWB_INSTALL = "python3 -m venv .pywb-venv && .pywb-venv/bin/pip install pywb==2.10.0"


@pytest.fixture(scope="module")
def crawled(tmp_path_factory):
    from tests.fixture_site import FixtureSite

    workdir = tmp_path_factory.mktemp("wacz")
    with FixtureSite() as site:
        run = run_crawl(workdir, *WACZ, "-a", f"urls={site.url(INDEX_2020)}")
    assert run.returncode == 0, run.stderr
    [wacz] = (workdir / "output" / "tribun").glob("*.wacz")
    return run, wacz


def test_py_wacz_validates_it_and_its_warc_is_stored(crawled):
    run, wacz = crawled
    done = subprocess.run([sys.executable, "-m", "wacz", "validate", "-f", str(wacz)], capture_output=True, text=True)
    assert done.returncode == 0 and "Validation succeeded" in done.stdout, done.stdout + done.stderr
    with zipfile.ZipFile(wacz) as archive:
        names = archive.namelist()
        [warc] = [n for n in names if n.startswith("archive/")]
        member = archive.getinfo(warc)
        assert member.compress_type == zipfile.ZIP_STORED
        assert {"indexes/index.cdx", "pages/pages.jsonl", "datapackage.json", "datapackage-digest.json"} <= set(names)
    # Its local header gives the real sizes, no zip64 fields (a small member needs none):
    # ReplayWeb.page finds no record in a member whose local header says 0xFFFFFFFF.
    with wacz.open("rb") as raw:
        raw.seek(member.header_offset)
        header = raw.read(30)
    compressed, uncompressed, extra = struct.unpack("<II", header[18:26]) + (struct.unpack("<H", header[28:30])[0],)
    assert header[:4] == b"PK\x03\x04" and compressed == uncompressed == member.file_size < 0xFFFFFFFF
    assert extra == 0
    assert not list(wacz.parent.glob("*.warc.gz")) and not list(wacz.parent.glob("*.part*"))


def test_pages_list_each_exported_article_with_its_title_and_capture(crawled):
    run, wacz = crawled
    with zipfile.ZipFile(wacz) as archive:
        header, *pages = [json.loads(line) for line in archive.read("pages/pages.jsonl").decode().splitlines()]
    assert header["format"] == "json-pages-1.0"
    items = {item["url"]: item for item in run.items()}
    assert sorted(p["url"] for p in pages) == sorted(items)
    for entry in pages:
        assert entry["title"] == items[entry["url"]]["title"] and entry["ts"].endswith("Z")
    assert run.stats["newscrawl/archive/pages"] == len(items) == 4


def test_the_cdxj_index_points_at_every_archived_response(crawled):
    run, wacz = crawled
    with zipfile.ZipFile(wacz) as archive:
        lines = archive.read("indexes/index.cdx").decode().splitlines()
        [member] = [n for n in archive.namelist() if n.startswith("archive/")]
        warc = archive.read(member)
    assert len(lines) == run.stats["newscrawl/archive/responses"]
    assert lines == sorted(lines)  # sorted by SURT, as readers binary-search it
    for line in lines:
        key, timestamp, fields = line.split(" ", 2)
        entry = json.loads(fields)
        assert entry["filename"] == member.split("/", 1)[1]
        chunk = warc[int(entry["offset"]): int(entry["offset"]) + int(entry["length"])]
        record = next(iter(ArchiveIterator(io.BytesIO(chunk))))
        assert record.rec_type == "response" and record.rec_headers.get_header("WARC-Target-URI") == entry["url"]
        assert record.http_headers.get_statuscode() == entry["status"]


def pywb() -> Path:
    if (PYWB / "wayback").exists():
        return PYWB
    if os.environ.get("CI") == "true":
        pytest.fail(f"pywb is missing: .ci/run must install it ({PYWB_INSTALL})")
    pytest.skip(f"pywb is not installed: {PYWB_INSTALL}")


def test_pywb_replays_every_article_from_the_packages_own_index(crawled, tmp_path):
    """pywb 2.10 adds the WACZ to a collection with the package's own CDXJ index (it only
    renames the WARC: no indexing step), and its Wayback server answers every exported
    article's page with the bytes the crawl archived."""
    run, wacz = crawled
    tools = pywb()
    for command in (["init", "coll"], ["add", "--unpack-wacz", "coll", str(wacz)]):
        done = subprocess.run([tools / "wb-manager", *command], cwd=tmp_path, capture_output=True, text=True)
        assert done.returncode == 0, done.stderr
    with zipfile.ZipFile(wacz) as archive:
        ours = archive.read("indexes/index.cdx").decode().splitlines()
        [member] = [n for n in archive.namelist() if n.startswith("archive/")]
        archived = {r.rec_headers.get_header("WARC-Target-URI"): r.content_stream().read()
                    for r in ArchiveIterator(io.BytesIO(archive.read(member))) if r.rec_type == "response"}
    theirs = (tmp_path / "collections" / "coll" / "indexes" / "index.cdxj").read_text().splitlines()
    without_file = lambda lines: [(line.split(" ", 2)[:2], {k: v for k, v in json.loads(line.split(" ", 2)[2]).items()
                                                            if k != "filename"}) for line in lines]  # noqa: E731
    assert without_file(theirs) == without_file(ours)
    with wayback(tmp_path) as base:
        for item in run.items():  # id_: the page as archived, not rewritten for the browser
            page = urllib.request.urlopen(f"{base}/coll/2026id_/{item['url']}", timeout=30).read()
            assert page == archived[item["url"]] and item["title"].encode() in page


@contextlib.contextmanager
def wayback(folder: Path) -> Iterator[str]:
    """pywb's Wayback server on the collections of ``folder``, on 127.0.0.1: its base URL."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    server = subprocess.Popen([pywb() / "wayback", "-p", str(port), "-b", "127.0.0.1"], cwd=folder,
                              stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=5).read()
                break
            except OSError:
                assert server.poll() is None and time.monotonic() < deadline, "pywb did not start"
                time.sleep(0.1)
        yield f"http://127.0.0.1:{port}"
    finally:
        server.terminate()
        server.communicate(timeout=30)


def test_our_replay_reads_it_back_into_the_same_items(crawled, tmp_path):
    run, wacz = crawled
    replay = run_crawl(tmp_path, "-a", f"archive={wacz}")
    assert replay.returncode == 0, replay.stderr
    strip = lambda items: sorted((json.dumps({k: v for k, v in i.items() if k != "crawled_at"}, sort_keys=True)
                                  for i in items))  # noqa: E731
    assert strip(replay.items()) == strip(run.items())


def test_a_wacz_that_cannot_be_written_fails_the_run_and_nothing_is_final(tmp_path):
    from tests.fixture_site import FixtureSite

    with FixtureSite() as site:
        run = run_crawl(tmp_path, *WACZ, *chaos_settings("FailingWacz"), "-a", f"urls={site.url(INDEX_2020)}")
    assert run.returncode == 4, run.stderr
    assert "No space left on device" in run.stderr and run.stats["newscrawl/verdict"] == "failed"
    output = tmp_path / "output" / "tribun"
    assert not list(output.glob("*.wacz")) and not list(output.glob("*.jsonl"))  # all or none
    assert not list(output.glob("*.part.wacz"))


def test_a_dead_runs_half_packaged_wacz_is_cleared_with_its_part(tmp_path):
    """A run killed while it packaged its WACZ left the WARC's ``.part`` and the WACZ being
    built beside it; the next run discards both with the run's journal (nothing committed)."""
    from scrapy.statscollectors import MemoryStatsCollector
    from scrapy.utils.test import get_crawler

    from newscrawl.output.journal import recover

    state, output = tmp_path / ".newscrawl", tmp_path / "output"
    state.mkdir()
    output.mkdir()
    wacz = output / "tribun-1.wacz"
    feed = output / "tribun-1.jsonl"
    for leftover in (wacz.with_name(wacz.name + ".part"), wacz.with_name(wacz.name + ".part.wacz"),
                     feed.with_name(feed.name + ".part")):
        leftover.write_bytes(b"unfinished")
    (state / "journal-1.jsonl").write_text(json.dumps({"feed": str(feed)}) + "\n" + json.dumps({"feed": str(wacz)}) + "\n")

    class Store:
        def record(self, articles):
            raise AssertionError("nothing was committed: nothing to record")

    stats = MemoryStatsCollector(get_crawler())
    recover(state, Store(), stats)
    assert list(output.iterdir()) == [] and not list(state.glob("journal-*"))
    assert stats.get_value("newscrawl/state/discarded") == 0  # counted, with no article lost


# ReplayWeb.page, the archivists' browser tool: its released files (npm `replaywebpage`) and
# puppeteer-core in .rwp/, Debian's Chromium; .ci/run installs them.
RWP = Path(__file__).resolve().parent.parent / ".rwp"
RWP_INSTALL = "bash .ci/run installs them: Debian's chromium, and in .rwp/ npm ci (tests/replaywebpage) and replaywebpage@2.5.3"


def replaywebpage() -> Path:
    if (RWP / "replaywebpage" / "sw.js").exists() and (RWP / "node_modules" / "puppeteer-core").is_dir() \
            and Path("/usr/bin/chromium").exists() and shutil.which("node"):
        return RWP
    if os.environ.get("CI") == "true":
        pytest.fail(f"ReplayWeb.page, Chromium or node is missing: {RWP_INSTALL}")
    pytest.skip(f"ReplayWeb.page, Chromium or node is missing: {RWP_INSTALL}")


def browse(wacz: Path, urls: list[str], www: Path) -> tuple[str, str, int]:
    """The WACZ served from ``www`` on 127.0.0.1 with ReplayWeb.page's own files;
    tests/replaywebpage/check.js opens each URL in it in headless Chromium: its output (a
    JSON line per URL), log and status. Chromium (puppeteer starts it in a group of its
    own) goes with node, whatever happens."""
    from tests.static_server import StaticServer

    rwp = replaywebpage()
    www.mkdir(exist_ok=True)
    for name in ("ui.js", "sw.js"):
        shutil.copy(rwp / "replaywebpage" / name, www)
    shutil.copy(Path(__file__).parent / "replaywebpage" / "embed.html", www)
    if wacz != www / "crawl.wacz":
        shutil.copy(wacz, www / "crawl.wacz")
    with StaticServer(www) as server:
        browser = subprocess.Popen(["node", str(Path(__file__).parent / "replaywebpage" / "check.js"), server.base,
                                    *urls], env={**os.environ, "NODE_PATH": str(rwp / "node_modules")},
                                   start_new_session=True, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        return _checked(browser)


def _checked(browser: subprocess.Popen) -> tuple[str, str, int]:
    try:
        out, err = browser.communicate(timeout=400)
    except subprocess.TimeoutExpired:
        kill_tree(browser.pid)
        out, err = browser.communicate()
        pytest.fail(f"the browser check did not end in 400 s; it said:\n{err[-3000:]}")
    finally:
        kill_tree(browser.pid)
        browser.wait()
    return out, err, browser.returncode


def test_replaywebpage_shows_every_article_of_the_package_in_a_browser(crawled, tmp_path):
    """The package served on 127.0.0.1 with ReplayWeb.page 2.5.3's own files, each exported
    article opened in headless Chromium: the replayed page carries the article's title and
    its first paragraph. (A WARC member written with zip64 sizes in its local header, as
    the package once was, shows "Archived Page Not Found" here while validators pass.)"""
    run, wacz = crawled
    items = run.items()
    out, err, code = browse(wacz, [item["url"] for item in items], tmp_path / "www")
    assert code == 0, err[-3000:]
    shown = {line["url"]: line for line in map(json.loads, out.splitlines())}
    flat = lambda text: " ".join(text.split())  # noqa: E731
    for item in items:
        page = shown[item["url"]]
        assert "error" not in page and flat(item["title"]) in flat(page["title"]), page
        first = item["body"].split("\n\n")[0]
        assert flat(first)[:120] in flat(page["text"]), (first, page["text"][:1500])
