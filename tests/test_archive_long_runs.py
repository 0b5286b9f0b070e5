"""Archives that suit long runs (issue 31, item 6): WARC files roll over at a size, each full
file final at once; a payload fetched again unchanged is a ``revisit`` record that our replay,
pywb and warcio resolve to its first capture."""
from __future__ import annotations

import json
import signal
import subprocess
import sys
import time
import urllib.request
import zipfile
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any, NamedTuple
from urllib.parse import urlsplit

import pytest
from warcio.archiveiterator import ArchiveIterator

from tests.conftest import archived_urls, finalized_items, records, run_crawl, start_crawl
from tests.fixture_site import FixtureSite
from tests.sitegen import build_site, index_url, write_article, write_news_sitemap
from tests.test_replay_workers import essence
from tests.test_wacz import browse, pywb, wayback

ROLL = ("-s", "NEWSCRAWL_ARCHIVE_MAX_SIZE=20000")


def rolled(folder: Path) -> list[Path]:
    return sorted(folder.glob("*.warc.gz"))


def test_a_long_runs_archive_rolls_over_and_replays_whole(tmp_path):
    build_site(tmp_path / "site", 24)
    with FixtureSite(tmp_path / "site") as site:
        run = run_crawl(tmp_path / "crawl", "-a", f"urls={site.url(index_url())}", *ROLL)
    assert run.returncode == 0, run.stderr[-2000:]
    [feed] = run.feed_files()
    name = feed.name[:-len(".jsonl")]
    files = rolled(feed.parent)
    assert len(files) >= 3
    assert [f.name for f in files] == [f"{name}-{n:05d}.warc.gz" for n in range(len(files))]
    assert not list(feed.parent.glob("*.part*"))
    assert [Path(p).name for p in run.stat("archive/rolled_over")] == [f.name for f in files[:-1]]
    assert f"The web archive reached 20000 bytes: output/tribun/{files[0].name} is complete" in run.stderr
    urls = []
    for file in files:  # each file whole, opened by its own warcinfo record
        found = records(file)
        assert found[0].rec_type == "warcinfo"
        urls += [r.rec_headers.get_header("WARC-Target-URI") for r in found if r.rec_type == "response"]
    assert len(urls) == len(set(urls)) == run.stat("archive/responses")
    assert run.stat("archive/bytes") == sum(f.stat().st_size for f in files)
    replay = run_crawl(tmp_path / "replay", "-a", f"archive={feed.parent}")
    assert replay.returncode == 0, replay.stderr[-2000:]
    assert essence(replay.items()) == essence(run.items())


def test_a_wacz_run_rolls_over_into_packages_each_whole(tmp_path):
    """``NEWSCRAWL_ARCHIVE_FORMAT=wacz``: each full file is packaged at once, its WARC named
    after the package; the pages each lists are articles exported by then whose first page
    it holds; the packages replay to the crawl's items."""
    build_site(tmp_path / "site", 12)
    with FixtureSite(tmp_path / "site") as site:
        run = run_crawl(tmp_path / "crawl", "-a", f"urls={site.url(index_url())}", *ROLL,
                        "-s", "NEWSCRAWL_ARCHIVE_FORMAT=wacz")
    assert run.returncode == 0, run.stderr[-2000:]
    [feed] = run.feed_files()
    packages = sorted(feed.parent.glob("*.wacz"))
    assert len(packages) >= 2 and not list(feed.parent.glob("*.warc.gz")) and not list(feed.parent.glob("*.part*"))
    exported, listed = {i["url"] for i in run.items()}, []
    for package in packages:
        with zipfile.ZipFile(package) as wacz:
            assert [n for n in wacz.namelist() if n.startswith("archive/")] == [
                f"archive/{package.name[:-len('.wacz')]}.warc.gz"]
            pages = [json.loads(line) for line in wacz.read("pages/pages.jsonl").decode().splitlines()[1:]]
            held = {r.rec_headers.get_header("WARC-Target-URI") for r in ArchiveIterator(
                wacz.open(f"archive/{package.name[:-len('.wacz')]}.warc.gz")) if r.rec_type == "response"}
        assert {p["url"] for p in pages} <= held
        listed += [p["url"] for p in pages]
    assert len(listed) == len(set(listed)) == run.stat("archive/pages") and set(listed) <= exported
    replay = run_crawl(tmp_path / "replay", "-a", f"archive={feed.parent}")
    assert replay.returncode == 0, replay.stderr[-2000:]
    assert essence(replay.items()) == essence(run.items())


def test_a_kill_loses_only_the_current_file_and_the_next_run_completes(slow_site, tmp_path):
    """SIGKILL after the first roll: the full file stays final and whole, the current one is
    discarded by the next run (which says so), and that run exports every article once;
    the archives then hold every page of every exported article."""
    crawl = start_crawl(tmp_path, slow_site, *ROLL)
    output = tmp_path / "output" / "tribun"
    deadline = time.monotonic() + 60
    # After the first roll, once the next file is begun.
    while not (list(output.glob("*-00000.warc.gz")) and list(output.glob("*-00001.warc.gz.part"))):
        assert crawl.poll() is None and time.monotonic() < deadline, "no file rolled over"
        time.sleep(0.02)
    crawl.send_signal(signal.SIGKILL)
    crawl.communicate(timeout=30)
    [first] = list(output.glob("*-00000.warc.gz"))
    killed_urls = archived_urls(first)
    assert killed_urls and records(first)[0].rec_type == "warcinfo"
    assert list(output.glob("*-00001.warc.gz.part"))  # the current file, unfinished
    assert not list(output.glob("*.jsonl"))  # nothing of the killed run is final but that file
    rerun = run_crawl(tmp_path, "-a", f"urls={slow_site.url(index_url())}", *ROLL)
    assert rerun.returncode == 0, rerun.stderr[-2000:]
    [took_over] = rerun.stats["newscrawl/state/took_over"]
    assert "died before committing its files" in took_over
    assert not list(output.glob("*.part*"))
    assert first.exists() and archived_urls(first) == killed_urls
    items = finalized_items(tmp_path)
    assert sorted(urlsplit(i["url"]).path for i in items) == sorted(urlsplit(a.url).path for a in slow_site.articles)
    report = json.loads(next(output.glob(f"*{rerun.stats['newscrawl/run']}.report.json")).read_text())
    assert report["verdict"] == "ok" and any("died before committing" in w for w in report["warnings"]), report
    replay = run_crawl(tmp_path / "replay", "-a", f"archive={output}")
    assert replay.returncode == 0, replay.stderr[-2000:]
    assert essence(replay.items()) == essence(items)


WIB = timezone(timedelta(hours=7))
REVISIT_NOW = ("-s", "NEWSCRAWL_REVISIT_EVERY=0")  # every young article is fetched again


def words(tag: str, n: int = 60) -> str:
    return f"{tag} " + " ".join(f"kata{tag}{i % 17} warga kota" for i in range(n)) + "."


class TwoRuns(NamedTuple):
    old: Path  # the first run's archive
    new: Path  # the second's, holding the revisit
    original: tuple  # page 2's response record in the first: (WARC headers, payload)
    revisit: Any  # page 2's revisit record in the second: its WARC headers
    live: list[dict]  # the two runs' items


@pytest.fixture(scope="module")
def two_runs(tmp_path_factory) -> TwoRuns:
    """A young 2-page article; the next run finds a paragraph added to page 1, page 2 as it was."""
    tmp_path = tmp_path_factory.mktemp("revisits")
    root, work = tmp_path / "site", tmp_path / "crawl"
    published = (datetime.now(WIB) - timedelta(hours=2)).replace(microsecond=0).isoformat()
    pages = [[words("A1"), words("A2")], [words("B1"), words("B2")]]
    article = write_article(root, 1, pages, title="Banjir Rendam Kota", published=published)
    sitemap = write_news_sitemap(root, [(article.url, published)])
    with FixtureSite(root) as site:
        first = run_crawl(work, "-a", f"urls={site.url(sitemap)}", *REVISIT_NOW)
        assert first.returncode == 0 and first.stat("archive/revisits") == 0, first.stderr[-2000:]
        write_article(root, 1, [[*pages[0], words("A3")], pages[1]], title="Banjir Rendam Kota", published=published)
        second = run_crawl(work, "-a", f"urls={site.url(sitemap)}", *REVISIT_NOW)
    assert second.returncode == 0, second.stderr[-2000:]
    assert second.stat("archive/revisits") == 1
    old, new = rolled(work / "output" / "tribun")
    [original] = [(r.rec_headers, r.payload) for r in records(old) if r.rec_type == "response"
                  and r.rec_headers.get_header("WARC-Target-URI").endswith("?page=2")]
    [revisit] = [r.rec_headers for r in records(new) if r.rec_type == "revisit"]
    return TwoRuns(old, new, original, revisit, finalized_items(work))


def test_an_unchanged_page_fetched_again_is_a_revisit_of_its_first_capture(two_runs, tmp_path):
    """Page 2 is archived as a revisit of the first run's capture (WARC 1.1's
    identical-payload-digest profile); the two runs' archives replay to both versions, page
    2's text included. One run's archive alone says what it cannot resolve."""
    original, revisit, live = two_runs.original[0], two_runs.revisit, two_runs.live
    assert revisit.get_header("WARC-Profile") == "http://netpreserve.org/warc/1.1/revisit/identical-payload-digest"
    assert revisit.get_header("WARC-Refers-To-Target-URI") == original.get_header("WARC-Target-URI")
    assert revisit.get_header("WARC-Target-URI") == original.get_header("WARC-Target-URI")
    assert revisit.get_header("WARC-Refers-To-Date") == original.get_header("WARC-Date")
    assert revisit.get_header("WARC-Payload-Digest") == original.get_header("WARC-Payload-Digest")
    assert [i["version"] for i in live] == [1, 2] and "B2" in live[1]["body"] and "A3" in live[1]["body"]

    both = run_crawl(tmp_path / "both", "-a", f"archive={two_runs.old.parent}")
    assert both.returncode == 0, both.stderr[-2000:]
    assert essence(finalized_items(tmp_path / "both")) == essence(live)

    alone = run_crawl(tmp_path / "alone", "-a", f"archive={two_runs.new}")
    assert alone.returncode == 0 and alone.stats["newscrawl/replay/unresolved_revisits"] == 1
    report = json.loads(next((tmp_path / "alone" / "output").rglob("*.report.json")).read_text())
    assert any(w.startswith("1 revisit record(s) refer to captures the given archives lack") for w in report["warnings"])
    [incomplete] = finalized_items(tmp_path / "alone")
    assert incomplete["complete"] is False and "A3" in incomplete["body"] and "B2" not in incomplete["body"]


def test_pywb_resolves_the_revisit_to_the_first_capture(two_runs, tmp_path):
    """Both runs' WARCs in one pywb collection: page 2 at the second run's time is the
    revisit (its Memento-Datetime) served with the first capture's bytes."""
    original, revisit = two_runs.original, two_runs.revisit
    tools = pywb()
    for command in (["init", "coll"], ["add", "coll", str(two_runs.old), str(two_runs.new)]):
        done = subprocess.run([tools / "wb-manager", *command], cwd=tmp_path, capture_output=True, text=True)
        assert done.returncode == 0, done.stderr
    with wayback(tmp_path) as base:
        page2 = original[0].get_header("WARC-Target-URI")
        served = urllib.request.urlopen(f"{base}/coll/{timestamp(revisit)}id_/{page2}", timeout=30)
        assert served.read() == original[1]
        assert served.headers["Memento-Datetime"] == datetime.fromisoformat(
            revisit.get_header("WARC-Date").replace("Z", "+00:00")).strftime("%a, %d %b %Y %H:%M:%S GMT")


def test_replaywebpage_shows_the_revisited_page(two_runs, tmp_path):
    """Both runs' WARCs packaged into one WACZ by the archivist's tool (py-wacz's ``wacz
    create``) and opened in ReplayWeb.page in headless Chromium: page 2's latest capture is
    the revisit, and the browser shows the first capture's text at the revisit's time."""
    www = tmp_path / "www"
    www.mkdir()
    done = subprocess.run([Path(sys.executable).parent / "wacz", "create", "-o", str(www / "crawl.wacz"),
                           str(two_runs.old), str(two_runs.new)], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    page2 = two_runs.original[0].get_header("WARC-Target-URI")
    out, err, code = browse(www / "crawl.wacz", [page2], www)
    assert code == 0, err[-3000:]
    [shown] = map(json.loads, out.splitlines())
    assert "error" not in shown, shown
    assert f"/{timestamp(two_runs.revisit)}mp_/" in shown["frame"], shown["frame"]
    assert "kataB1" in shown["text"] and "kataB2" in shown["text"], shown["text"][:1500]


def timestamp(headers: Any) -> str:
    """A record's WARC-Date as the 14 digits replay tools put in their URLs."""
    return "".join(c for c in headers.get_header("WARC-Date")[:19] if c.isdigit())
