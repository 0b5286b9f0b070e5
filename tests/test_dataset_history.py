"""One history per article (docs/datasets.md "Versions"): whichever way an article's captures
were crawled (live runs with a state, a replay with a fresh state, a replay on every core,
a fleet replaying on Redis), the dataset numbers its versions from the data, and
``--all-versions`` holds each captured version once, in capture order, with an unbroken
``previous_hash`` chain.

The site: an article that changes twice, over three live runs (each archives what it read),
beside one that never changes, and a story with its republication an hour later. The replays
read the archives of runs 2 and 3 only: on their own they call run 2's text version 1. Each
way of crawling gives the same ``duplicate_of``, and ``--drop-copies`` leaves no copy.
"""
from __future__ import annotations

import os
import subprocess
import sys
from datetime import datetime, timedelta
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from tests.conftest import REPO, crawl_command, crawl_env, finalized_items, forked, run_crawl
from tests.fixture_site import FixtureSite
from tests.sitegen import write_article
from tests.test_revisit import WIB, ChangingSite, iso, words


def build(dataset: Path, *sources: Path, options: tuple[str, ...] = ("--all-versions",)) -> str:
    done = forked([sys.executable, "-m", "newscrawl.dataset", *map(str, sources), str(dataset), *options], REPO, 120)
    assert done.returncode == 0, done.stderr
    return done.stderr


def rows(dataset: Path, columns: tuple[str, ...] = ("url", "version", "content_hash", "previous_hash",
                                                   "captured_at")) -> list[dict]:
    table = pq.read_table(sorted((dataset / "articles").rglob("*.parquet")))
    return sorted(table.select(list(columns)).to_pylist(), key=lambda r: (r["url"], r["version"]))


@pytest.fixture(scope="module")
def crawled(tmp_path_factory):
    """Three live runs (the young article at versions 1, 2, 3) and three replays of the
    archives of runs 2 and 3: fresh state, ``-a workers=2``, two workers on Redis."""
    from tests.conftest import RedisServer

    root = tmp_path_factory.mktemp("history")
    changing = ChangingSite(root / "site")
    # A story and its republication an hour later (same text, another dateline): both young,
    # so every run fetches them again (unchanged) and every archive holds both.
    hours_ago = [iso(datetime.now(WIB) - timedelta(hours=h)) for h in (3, 2)]
    for index, (dateline, published) in enumerate(zip(("TRIBUNNEWS.COM", "SURYA.CO.ID"), hours_ago), start=3):
        story = write_article(root / "site", index, [[f"{dateline}, JAKARTA - {words('C1')}", words("C2")]],
                              title="Harga Beras Turun", published=published)
        changing.lastmod[story.url] = published
    changing.sitemap = changing.write_sitemap()
    live = root / "live"
    with FixtureSite(root / "site") as site:
        for run in range(3):
            if run == 1:
                changing.update_young()
            if run == 2:
                changing.young = write_article(root / "site", 1, [[words("A1"), words("A5")], [words("A4")]],
                                               title="Banjir Surut", published=changing.young_published,
                                               modified=changing.lastmod[changing.young.url])
            # Archives that stand alone (no revisit records): the replays read runs 2 and 3 only.
            done = run_crawl(live, "-s", "NEWSCRAWL_REVISIT_EVERY=0", "-s", "NEWSCRAWL_ARCHIVE_REVISITS=0",
                             "-a", f"urls={site.url(changing.sitemap)}")
            assert done.returncode == 0, done.stderr
    archives = sorted((live / "output" / "tribun").glob("*.warc.gz"))
    assert len(archives) == 3
    later = root / "later"
    later.mkdir()
    for archive in archives[1:]:
        os.link(archive, later / archive.name)  # a symbolic link is refused, as a replay should
    fresh = run_crawl(root / "fresh", "-a", f"archive={later}")
    cores = run_crawl(root / "cores", "-a", f"archive={later}", "-a", "workers=2")
    assert fresh.returncode == 0 and cores.returncode == 0, (fresh.stderr, cores.stderr)
    server = RedisServer(root)
    try:
        fleet = [root / "fleet-a", root / "fleet-b"]
        workers = []
        for n, folder in enumerate(fleet):
            folder.mkdir()
            workers.append(subprocess.Popen(
                crawl_command("-s", f"REDIS_URL={server.url}", "-s", f"NEWSCRAWL_WORKER=w{n}",
                              "-s", "NEWSCRAWL_IDLE_TIMEOUT=1", "-s", "NEWSCRAWL_WORKER_TTL=2",
                              "-a", f"archive={later}"),
                cwd=folder, env=crawl_env(), stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True))
        errors = [w.communicate(timeout=180)[1] for w in workers]
        assert [w.returncode for w in workers] == [0, 0], errors
    finally:
        server.stop()
    return root, live, [root / "fresh", root / "cores", *fleet]


def feeds(*folders: Path) -> list[Path]:
    """The run files of crawls (``output/tribun`` live, ``output/tribun-replay``; a fleet
    worker may have exported nothing)."""
    return [f for folder in folders for f in sorted((folder / "output").rglob("*.jsonl"))]


def versions(items) -> dict[str, list[int]]:
    found: dict[str, list[int]] = {}
    for item in items:
        found.setdefault(item["url"], []).append(item["version"])
    return {url: sorted(numbers) for url, numbers in found.items()}


def test_every_way_of_crawling_gives_one_history(crawled, tmp_path):
    root, live, replays = crawled
    truth = sorted((i["url"], i["version"], i["content_hash"], i["previous_hash"]) for i in finalized_items(live))
    [young] = [url for url, numbers in versions(finalized_items(live)).items() if numbers == [1, 2, 3]]
    for replay in [*replays[:2], replays[2:]]:  # on its own, a replay of the later archives starts again at 1
        items = finalized_items(replay) if isinstance(replay, Path) else [i for r in replay for i in finalized_items(r)]
        assert versions(items)[young] == [1, 2]

    for sources in ([live], [live, *replays], [*replays, live], [replays[0], live]):
        dataset = tmp_path / f"dataset-{len(sources)}-{sources[0].name}"
        said = build(dataset, *feeds(*sources))
        got = rows(dataset)
        assert [(r["url"], r["version"], r["content_hash"], r["previous_hash"]) for r in got] == truth
        captured = [r["captured_at"] for r in got if r["url"] == young]
        assert len(captured) == 3 and captured == sorted(captured)  # each version once, in capture order
        if len(sources) > 1:
            assert "carried another version number" in said
            assert "were renumbered" in (dataset / "README.md").read_text()


def test_every_way_of_crawling_gives_the_same_copies(crawled, tmp_path):
    """The republication is a copy of the story (``duplicate_of``) in a dataset of each way
    of crawling alone and of all of them; --drop-copies leaves out every version of it."""
    root, live, replays = crawled
    ways = {"live": [live], "fresh": replays[:1], "cores": replays[1:2], "fleet": replays[2:]}
    marks = {}
    for name, sources in ways.items():
        build(tmp_path / name, *feeds(*sources))
        marks[name] = {r["url"]: r["duplicate_of"] for r in rows(tmp_path / name, ("url", "version", "duplicate_of"))
                       if r["url"].endswith(("nomor-3", "nomor-4"))}
    story, copy = sorted(marks["live"])
    assert marks == {name: {story: None, copy: story} for name in ways}
    build(tmp_path / "all", *feeds(live, *replays), options=("--all-versions", "--drop-copies"))
    kept = {r["url"] for r in rows(tmp_path / "all")}
    assert story in kept and copy not in kept


def test_an_incremental_build_renumbers_what_an_earlier_capture_moves(crawled, tmp_path):
    """The replay first (its versions 1 and 2), the live runs after: the first build's rows
    are renumbered in place, and equal a full build's."""
    root, live, replays = crawled
    dataset, full, latest = tmp_path / "dataset", tmp_path / "full", tmp_path / "latest"
    build(dataset, *feeds(replays[0]))
    assert [r["version"] for r in rows(dataset) if r["url"].endswith("nomor-1")] == [1, 2]
    said = build(dataset, *feeds(replays[0], live))
    assert "in full" not in said
    build(full, *feeds(replays[0], live))
    assert rows(dataset) == rows(full)
    truth = sorted((i["url"], i["version"], i["content_hash"], i["previous_hash"]) for i in finalized_items(live))
    assert [(r["url"], r["version"], r["content_hash"], r["previous_hash"]) for r in rows(dataset)] == truth
    # The latest version only: the history kept in the index numbers the next build's rows.
    build(latest, *feeds(replays[0]), options=())
    build(latest, *feeds(replays[0], live), options=())
    expected = {}
    for row in rows(full):
        expected[row["url"]] = max(expected.get(row["url"], 0), row["version"])
    assert {r["url"]: r["version"] for r in rows(latest)} == expected
