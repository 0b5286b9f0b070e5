"""Dates that cannot exist and clocks that lie (issue 19, items 8 and 12): every date
parse is total, and revisits are bounded by the present."""
from __future__ import annotations

import random
import sqlite3
import time
from datetime import datetime, timedelta, timezone

from newscrawl.dedup.revisit import RevisitPolicy
from newscrawl.dedup.store import Version
from newscrawl.text.dates import WIB, epoch_seconds, parse_date
from tests.conftest import run_crawl
from tests.fixture_site import FixtureSite
from tests.sitegen import write_article, write_news_sitemap

PIECES = ["2020", "-05", "-04", "T04", ":25", ":13", "+25:00", "+07:00", "-24:00", "+23:59", "Z", "+99",
          "9999", "0001", "-13", "-00", "-31", "T24", ":60", ".999999", " ", "Senin", "4", "Mei", "WIB",
          "WITA", "Pebruari", "Jum'at", ",", "pukul", "+2500", "-2500", "GMT", "T", "1e9", "00", "\x00", "٣"]


def test_every_date_parse_is_total():
    rng = random.Random(19)
    for _ in range(20_000):
        text = "".join(rng.choice(PIECES) for _ in range(rng.randint(1, 9)))
        zone = rng.choice([None, WIB, timezone(timedelta(hours=-23, minutes=-59))])
        parsed = parse_date(text, default_tz=zone)  # must not raise
        if parsed is not None:
            assert datetime.fromisoformat(parsed).utcoffset() is not None, text
        epoch_seconds(parsed)
        epoch_seconds(text)
    policy = RevisitPolicy()
    for _ in range(5_000):
        some = lambda: rng.choice([None, 0, -10**12, 10**12, rng.randint(-10**10, 10**10)])  # noqa: E731
        policy.due(Version(published=some(), fetched=some(), lastmod=some()), some(), time.time())


def _site(root, entries):
    (root / "www.tribunnews.com").mkdir(parents=True, exist_ok=True)
    (root / "www.tribunnews.com" / "robots.txt").write_text("User-agent: *\nDisallow: /api/\n")
    return write_news_sitemap(root, entries)


def test_an_impossible_offset_loses_neither_the_sitemap_nor_the_article(tmp_path):
    now = datetime.now(WIB).replace(microsecond=0)
    articles = [write_article(tmp_path / "site", n, [[f"Paragraf {n} " + "kata " * 60]], title=f"Judul {n}",
                              published=(now - timedelta(hours=n)).isoformat()) for n in range(1, 7)]
    # Article 7's JSON-LD datePublished cannot exist; so cannot the sitemap's lastmod of article 3.
    bad = write_article(tmp_path / "site", 7, [["Paragraf tujuh " + "kata " * 60]], title="Judul 7",
                        published="2024-05-01T10:00:00+25:00")
    entries = [(a.url, (now - timedelta(hours=1)).isoformat()) for a in articles] + [(bad.url, "2024-05-01")]
    entries[2] = (entries[2][0], "2024-05-01T10:00:00+25:00")
    sitemap = _site(tmp_path / "site", entries)
    with FixtureSite(tmp_path / "site") as site:
        run = run_crawl(tmp_path / "run", "-a", f"urls={site.url(sitemap)}")
    assert run.returncode == 0, run.stderr
    items = {site.real_url(i["url"]): i for i in run.items()}
    assert len(items) == 7 and run.stat("articles/discovered") == 7
    # The visible date under the headline stands in for the impossible one.
    assert items[bad.url]["published_at"] == "2024-05-01T10:00:00+07:00"
    assert "Traceback" not in run.stderr and "Extraction failed" not in run.stderr


def _versions(state) -> sqlite3.Connection:
    return sqlite3.connect(state / "articles.sqlite3")


def test_revisits_are_bounded_by_the_present(tmp_path):
    """A publication ten years ahead is not young for ever; a fetch recorded while the clock
    ran a day ahead does not hold revisits back; a stored lastmod of 2099 does not hide a
    later genuine one; a date-only <lastmod> is read."""
    now = datetime.now(WIB).replace(microsecond=0)
    root = tmp_path / "site"
    ahead = write_article(root, 1, [["Paragraf satu " + "kata " * 60]], title="Dari Masa Depan",
                          published=(now + timedelta(days=3650)).isoformat())
    young = write_article(root, 2, [["Paragraf dua " + "kata " * 60]], title="Baru Saja",
                          published=(now - timedelta(hours=1)).isoformat())
    dated = write_article(root, 3, [["Paragraf tiga " + "kata " * 60]], title="Bertanggal",
                          published="2024-04-30T10:00:00+07:00")
    hidden = write_article(root, 4, [["Paragraf empat " + "kata " * 60]], title="Tersembunyi",
                           published="2024-04-30T10:00:00+07:00")
    sitemap = _site(root, [(ahead.url, None), (young.url, None), (dated.url, "2024-05-01"),
                           (hidden.url, "2024-05-01T08:00:00+07:00")])
    for path in (root / "www.tribunnews.com" / "nasional").glob("sitemap-news.xml"):
        path.write_text(path.read_text().replace("<lastmod>None</lastmod>", ""))
    state = tmp_path / "work" / ".newscrawl"
    with FixtureSite(root) as site:
        first = run_crawl(tmp_path / "work", "-a", f"urls={site.url(sitemap)}")
        assert first.returncode == 0 and len(first.items()) == 4, first.stderr
        keys = {url: key for key, url in _keys(state, site, [ahead, young, dated, hidden])}
        with _versions(state) as db:  # the clock ran a day ahead when article 2 was fetched
            db.execute("UPDATE versions SET fetched = ? WHERE key = ?", (int(time.time()) + 86400, keys[young.url]))
            db.execute("UPDATE versions SET lastmod = ? WHERE key = ?", (4_070_908_800, keys[hidden.url]))  # 2099
        write_news_sitemap(root, [(ahead.url, (now - timedelta(days=1)).isoformat()), (young.url, now.isoformat()),
                                  (dated.url, "2024-05-02"), (hidden.url, (now + timedelta(minutes=2)).isoformat())])
        asked = len(site.requests)
        second = run_crawl(tmp_path / "work", "-s", "NEWSCRAWL_REVISIT_EVERY=0",
                           "-a", f"urls={site.url(sitemap)}")
        fetched = set(site.requests[asked:])
    assert second.returncode == 0, second.stderr
    assert ahead.url not in fetched  # its lastmod is older than its fetch, and it is not young
    assert {young.url, dated.url, hidden.url} <= fetched
    assert second.stat("revisit/unchanged") == 3


def _keys(state, site, articles):
    from newscrawl.dedup.store import article_keys
    from newscrawl.network.urls import article_id_from_url

    for article in articles:
        url = site.url(article.url)
        host = url.split("/")[2]
        yield article_keys(url, host, article_id_from_url(url))[0], article.url
