"""Updated articles (README "Updated articles"): revisits, versions, exactly once per version.

A local site whose articles change between runs: a paragraph added, the headline rewritten,
a page 2 appearing, ``dateModified`` and the sitemap's ``<lastmod>`` moving.
"""
from __future__ import annotations

import json
import signal
import subprocess
import time
from collections import Counter
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from newscrawl.text.normalize import content_hash, join_paragraphs
from tests.conftest import crawl_command, crawl_env, finalized_items, run_crawl
from tests.fixture_site import FixtureSite
from tests.sitegen import write_article, write_news_sitemap

WIB = timezone(timedelta(hours=7))


def iso(moment: datetime) -> str:
    return moment.astimezone(WIB).replace(microsecond=0).isoformat()


def words(tag: str, n: int = 60) -> str:
    return f"{tag} " + " ".join(f"kata{tag}{i % 17} warga kota" for i in range(n)) + "."


class ChangingSite:
    """Article 1 published two hours ago, article 2 ten days ago, both in a news sitemap."""

    def __init__(self, root: Path) -> None:
        self.root = root
        now = datetime.now(WIB)
        self.young_published, self.old_published = iso(now - timedelta(hours=2)), iso(now - timedelta(days=10))
        (root / "www.tribunnews.com").mkdir(parents=True, exist_ok=True)
        (root / "www.tribunnews.com" / "robots.txt").write_text("User-agent: *\nDisallow: /api/\n")
        self.young = write_article(root, 1, [[words("A1"), words("A2")]], title="Banjir Rendam Kota",
                                   published=self.young_published)
        self.old = write_article(root, 2, [[words("B1"), words("B2")]], title="Harga Cabai Naik",
                                 published=self.old_published)
        self.lastmod = {self.young.url: self.young_published, self.old.url: self.old_published}
        self.sitemap = self.write_sitemap()

    def write_sitemap(self, extra: list[str] = ()) -> str:
        # Listed last, fetched first: Scrapy's queue is last-in, first-out.
        return write_news_sitemap(self.root, [*((u, self.young_published) for u in extra), *self.lastmod.items()])

    def update_young(self) -> None:
        """The live report grows: a paragraph, a new headline, a second page; dates move."""
        modified = iso(datetime.now(WIB))
        self.young = write_article(self.root, 1, [[words("A1"), words("A2"), words("A3")], [words("A4")]],
                                   title="Banjir Rendam Kota, Ribuan Warga Mengungsi",
                                   published=self.young_published, modified=modified)
        self.lastmod[self.young.url] = modified
        self.write_sitemap()


def crawl(workdir: Path, site: FixtureSite, changing: ChangingSite, *args: str):
    run = run_crawl(workdir, *args, "-a", f"urls={site.url(changing.sitemap)}")
    assert run.returncode == 0, run.stderr
    return run


def by_url(items: list[dict], site: FixtureSite) -> dict[str, list[dict]]:
    found: dict[str, list[dict]] = {}
    for item in items:
        found.setdefault(site.real_url(item["url"]), []).append(item)
    return found


def test_a_changed_article_is_exported_again_as_its_next_version(tmp_path):
    changing = ChangingSite(tmp_path / "site")
    work = tmp_path / "work"
    with FixtureSite(tmp_path / "site") as site:
        first = crawl(work, site, changing)
        v1 = {item["url"]: item for item in first.items()}
        assert [(i["version"], i["previous_hash"]) for i in v1.values()] == [(1, None), (1, None)]

        changing.update_young()
        asked = len(site.requests)
        second = crawl(work, site, changing)
        fetched = site.requests[asked:]
        assert changing.old.url not in fetched  # past the revisit window, no signal: not fetched
        assert fetched.count(changing.young.url) == 1 and changing.young.url + "?page=2" in fetched
        [v2] = [i for i in finalized_items(work) if i["version"] == 2]
        young_v1 = v1[site.url(changing.young.url)]
        assert v2["url"] == young_v1["url"] and v2["previous_hash"] == young_v1["content_hash"]
        assert v2["title"] == "Banjir Rendam Kota, Ribuan Warga Mengungsi" and v2["page_count"] == 2
        assert v2["body"] == join_paragraphs([words(t) for t in ("A1", "A2", "A3", "A4")])
        assert v2["content_hash"] == content_hash(v2["body"]) and v2["duplicate_of"] is None  # not a copy of v1
        assert second.stat("articles/revisited") == 1 and second.stat("revisit/due_lastmod") == 1
        assert second.stat("revisit/changed") == 1 and second.stat("articles/known") == 1

        # Nothing changed: a revisit of the young article (every 0 h) exports nothing, counted.
        asked = len(site.requests)
        third = crawl(work, site, changing, "-s", "NEWSCRAWL_REVISIT_EVERY=0")
        assert site.requests[asked:].count(changing.young.url) == 1
        assert changing.old.url not in site.requests[asked:]
        assert third.stat("revisit/unchanged") == 1 and third.stats.get("item_scraped_count", 0) == 0
        assert len(finalized_items(work)) == 3  # nothing new was written

        # A lastmod signal fetches the old article again, whatever its age: unchanged, nothing.
        changing.lastmod[changing.old.url] = iso(datetime.now(WIB))
        changing.write_sitemap()
        asked = len(site.requests)
        fourth = crawl(work, site, changing)
        assert site.requests[asked:].count(changing.old.url) == 1 and fourth.stat("revisit/unchanged") == 1
        report = fourth.stats["newscrawl/report_file"]
    assert Counter((site.real_url(i["url"]), i["version"]) for i in finalized_items(work)) == Counter(
        {(changing.young.url, 1): 1, (changing.young.url, 2): 1, (changing.old.url, 1): 1})
    counts = json.loads((work / report).read_text())["counts"]
    assert (counts["revisited"], counts["changed"], counts["unchanged"]) == (1, 0, 1)
    assert_readme_takes_the_latest_versions(work, {site.url(changing.young.url): 2, site.url(changing.old.url): 1})
    assert_replay_gives_every_version_back(work, tmp_path)


def assert_replay_gives_every_version_back(work: Path, tmp_path: Path) -> None:
    """Replaying the runs' archives rebuilds exactly the (url, version, content_hash) the live
    runs exported, the previous_hash chain included (issue 20, item 3); an incremental replay
    of the first run's archive never makes its older text a newer version (item 4)."""
    live = {(i["url"], i["version"], i["content_hash"], i["previous_hash"]) for i in finalized_items(work)}
    archives = sorted((work / "output" / "tribun").glob("*.warc.gz"))
    assert len(archives) == 4  # one per run, each holding what that run fetched
    replay = run_crawl(tmp_path / "replay", "-a", f"archive={work / 'output' / 'tribun'}")
    assert replay.returncode == 0, replay.stderr
    replayed = {(i["url"], i["version"], i["content_hash"], i["previous_hash"])
                for i in finalized_items(tmp_path / "replay")}
    assert replayed == live
    assert replay.stat("replay/versions") == 1 and replay.stat("replay/unchanged_captures") == 2

    older = run_crawl(tmp_path / "older", "-a", f"archive={archives[0]}", "-s", "NEWSCRAWL_REPLAY_INCREMENTAL=1",
                      "-s", f"NEWSCRAWL_STATE_DIR={work / '.newscrawl'}", "-s", "NEWSCRAWL_REVISIT_EVERY=0")
    assert older.returncode == 0, older.stderr
    assert finalized_items(tmp_path / "older") == []  # no "version 3" holding version 1's text
    assert older.stat("replay/older_than_stored") == 1


def assert_readme_takes_the_latest_versions(work: Path, expected: dict[str, int]) -> None:
    """README "Updated articles": the latest version of each article, in pandas and DuckDB."""
    import duckdb
    import pandas as pd

    df = pd.concat(pd.read_json(f, lines=True, dtype={"article_id": str}) for f in sorted(work.rglob("*.jsonl")))
    latest = df.sort_values("version").drop_duplicates("url", keep="last")
    assert dict(zip(latest["url"], latest["version"])) == expected
    rows = duckdb.sql(f"SELECT url, version FROM read_json('{work}/output/tribun/*.jsonl') "
                      "QUALIFY version = max(version) OVER (PARTITION BY url)").fetchall()
    assert dict(rows) == expected


def test_with_revisits_off_a_known_article_is_never_fetched_again(tmp_path):
    changing = ChangingSite(tmp_path / "site")
    with FixtureSite(tmp_path / "site") as site:
        crawl(tmp_path / "work", site, changing)
        changing.update_young()
        asked = len(site.requests)
        off = crawl(tmp_path / "work", site, changing, "-s", "NEWSCRAWL_REVISIT=0")
        assert not any("artikel-nomor" in u for u in site.requests[asked:])
        assert off.stat("articles/known") == 2 and off.stats.get("item_scraped_count", 0) == 0


def test_a_version_killed_before_its_recording_is_exported_once_by_the_next_run(tmp_path):
    changing = ChangingSite(tmp_path / "site")
    work = tmp_path / "work"
    fillers = [write_article(tmp_path / "site", n, [[words(f"F{n}")]], title=f"Berita Lain {n}",
                             published=changing.young_published).url for n in range(10, 22)]
    with FixtureSite(tmp_path / "site") as site:  # one site, one port: the same URLs in every run
        crawl(work, site, changing)
        changing.update_young()
        changing.write_sitemap(extra=fillers)  # twelve new ones, fetched after the changed article
        site.delay = 0.2  # one request at a time, slowly: the run is certainly killed mid-way
        killed = subprocess.Popen(crawl_command("-s", "CONCURRENT_REQUESTS=1", "-a", f"urls={site.url(changing.sitemap)}"),
                                  cwd=work, env=crawl_env(), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 60
        while not any('"version": {"version": 2' in j.read_text() for j in (work / ".newscrawl").glob("journal-*")):
            assert killed.poll() is None and time.monotonic() < deadline, "no version 2 journalled"
            time.sleep(0.05)
        killed.send_signal(signal.SIGKILL)  # exported (journalled) but neither committed nor recorded
        killed.wait(timeout=30)
        site.delay = 0
        rerun = crawl(work, site, changing)
        assert rerun.stat("state/discarded") >= 1 and rerun.stat("revisit/changed") == 1
    versions = Counter((site.real_url(i["url"]), i["version"]) for i in finalized_items(work))
    assert versions == Counter({(changing.young.url, 1): 1, (changing.young.url, 2): 1, (changing.old.url, 1): 1,
                                **{(url, 1): 1 for url in fillers}})


@pytest.mark.parametrize("setting, value", [("NEWSCRAWL_REVISIT_WITHIN", "-1"), ("NEWSCRAWL_REVISIT", "maybe")])
def test_bad_revisit_settings_are_one_line(tmp_path, setting, value):
    run = run_crawl(tmp_path, "-s", f"{setting}={value}")
    assert run.returncode == 2 and run.stderr.strip().startswith(f"scrapy crawl tribun: error: -s {setting}={value}")


def test_versions_with_the_store_in_redis(redis_url, tmp_path):
    changing = ChangingSite(tmp_path / "site")
    work = tmp_path / "work"
    distributed = ["-s", f"REDIS_URL={redis_url}", "-s", "NEWSCRAWL_IDLE_TIMEOUT=1", "-s", "NEWSCRAWL_WORKER_TTL=2"]
    with FixtureSite(tmp_path / "site") as site:
        crawl(work, site, changing, *distributed)
        changing.update_young()
        second = crawl(work, site, changing, *distributed)
        assert second.stat("revisit/changed") == 1 and second.stat("articles/known") == 1
        third = crawl(work, site, changing, *distributed, "-s", "NEWSCRAWL_REVISIT_EVERY=0")
        assert third.stat("revisit/unchanged") == 1 and third.stats.get("item_scraped_count", 0) == 0
    items = finalized_items(work)
    assert Counter((site.real_url(i["url"]), i["version"]) for i in items) == Counter(
        {(changing.young.url, 1): 1, (changing.young.url, 2): 1, (changing.old.url, 1): 1})
    [v2] = [i for i in items if i["version"] == 2]
    assert v2["previous_hash"] == next(i["content_hash"] for i in items if i["url"] == v2["url"] and i["version"] == 1)
