"""The web archive (WARC 1.1 beside the JSONL) and re-extraction from it (README
"Archive and re-extraction").

Two live crawls of the fixture site share the module: one with the default settings,
one with a deliberately wrong extractor (tests.chaos.OldImageRule) and index pages
archived too. Then the site is stopped: every replay runs with no server at all and a
DNS resolver that answers nothing.
"""
from __future__ import annotations

import json
import subprocess
import sys
import zlib
from collections import Counter
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from warcio.archiveiterator import ArchiveIterator
from warcio.warcwriter import WARCWriter

from newscrawl.dedup.store import SqliteArticleStore
from newscrawl.pages.record import page_record
from tests.chaos import chaos_settings
from tests.conftest import REPO, crawl_env, records, run_crawl
from tests.fixture_site import FixtureSite, fixture_file
from tests.test_extraction import check_fixture

INDEX = "https://www.tribunnews.com/index-news?date=2020-5-4"
GENUINE = ("https://www.tribunnews.com/pendidikan/2020/05/04/"
           "jawaban-soal-apa-dampak-negatif-jika-menunda-pekerjaan-belajar-dari-rumah-sma-di-tvri")
MAKASSAR = "https://makassar.tribunnews.com/2022/08/19/harga-cabai-rawit-di-pasar-terong-makassar-tembus-rp-80-ribu"
UKRAINA = ("https://www.tribunnews.com/internasional/7712345/ukraina-dan-nato-dalam-masalah-serius-korea-utara-"
           "buka-opsi-kirim-senjata-mematikan-ke-rusia")
PSBB = "https://www.tribunnews.com/nasional/2020/05/04/pemerintah-perpanjang-psbb-jakarta-hingga-akhir-mei"
MOVED = "https://www.tribunnews.com/bisnis/2020/05/04/harga-emas-naik"  # moved to EMAS
EMAS = "https://www.tribunnews.com/bisnis/2020/05/04/harga-emas-antam-naik"
NO_NETWORK = ["-s", "TWISTED_DNS_RESOLVER=tests.chaos.NoDNS"]


class Live:
    """What the module's live crawls left, and what the site served them."""

    def __init__(self, site: FixtureSite, root: Path) -> None:
        self.site = site
        self.root = root
        # In each crawl: an article link that redirects, and a page that fails (500, retried once).
        site.faults[MOVED] = [("redirect", site.url(EMAS))] * 2
        site.faults[MAKASSAR + "?page=2"] = [500] * 4
        urls = ",".join(site.url(u) for u in (INDEX, GENUINE, MAKASSAR, UKRAINA, MOVED))
        self.crawl = run_crawl(root / "live", "-a", f"urls={urls}")
        self.wrong = run_crawl(root / "wrong", "-s", "NEWSCRAWL_ARCHIVE_LISTINGS=1", *chaos_settings("OldImageRule"),
                               "-a", f"urls={urls}")
        self.requests = Counter(site.requests)
        self.served = {site.url(real): self._served(real) for real in set(site.requests)}

    def _served(self, real_url: str) -> bytes | None:
        parts = urlsplit(real_url)
        path = fixture_file(self.site.root, parts.netloc, parts.path, parts.query)
        return self.site.rewrite(path.read_bytes()) if path.exists() else None

    def archive(self, run: str = "live") -> Path:
        [archive] = (self.root / run / "output" / "tribun").glob("*.warc.gz")
        return archive


@pytest.fixture(scope="module")
def live(tmp_path_factory):
    with FixtureSite() as site:
        yield Live(site, tmp_path_factory.mktemp("archive"))


def items_by_url(files: list[Path]) -> dict[str, dict]:
    items = {}
    for feed in files:
        for line in feed.read_text(encoding="utf-8").splitlines():
            item = json.loads(line)
            item.pop("crawled_at")
            items[item["url"]] = item
    return items


def replay(workdir: Path, *args: str):
    return run_crawl(workdir, *NO_NETWORK, *args)


# ---- writing ---------------------------------------------------------------------------------

def test_the_archive_holds_every_article_page_byte_for_byte_as_served(live):
    assert live.crawl.returncode == 0, live.crawl.stderr
    archive = live.archive()
    jsonl = live.crawl.feed_files()[0]
    assert archive.name == jsonl.name.replace(".jsonl", ".warc.gz")  # the run's name, beside its JSONL
    assert not list(archive.parent.glob("*.part"))
    found = records(archive)
    assert found[0].rec_type == "warcinfo" and found[0].rec_headers.protocol == "WARC/1.1"
    responses = [r for r in found if r.rec_type == "response"]
    requests = {r.rec_headers.get_header("WARC-Concurrent-To"): r for r in found if r.rec_type == "request"}
    article_pages = {u for u in live.served if "index-news" not in u and not u.endswith("robots.txt")}
    assert {r.rec_headers.get_header("WARC-Target-URI") for r in responses} == article_pages  # no listings
    for response in responses:
        url = response.rec_headers.get_header("WARC-Target-URI")
        status = response.http_headers.get_statuscode()
        if url == live.site.url(MOVED):
            assert status == "302" and response.http_headers.get_header("Location") == live.site.url(EMAS)
        elif url == live.site.url(MAKASSAR) + "?page=2":
            assert status == "500" and response.payload == b"<html><body>error</body></html>"
        elif live.served[url] is None:  # pages the fixtures lack (the genuine page's 2-4)
            assert status == "404"
        else:
            assert status == "200" and response.payload == live.served[url], url
        request = requests[response.rec_headers.get_header("WARC-Record-ID")]  # its pair
        assert request.http_headers.protocol == "GET" and request.http_headers.get_header("User-Agent")
        assert request.http_headers.get_header("Host") == urlsplit(url).netloc
    assert live.crawl.stat("archive/responses") == len(responses)


def test_each_record_is_its_own_gzip_member(live):
    data, members = live.archive().read_bytes(), 0
    while data:
        inflate = zlib.decompressobj(zlib.MAX_WBITS | 16)
        inflate.decompress(data)
        assert inflate.eof
        data, members = inflate.unused_data, members + 1
    assert members == len(records(live.archive()))


def test_listings_and_sitemaps_are_archived_when_asked(live):
    assert live.wrong.returncode == 0, live.wrong.stderr
    urls = {r.rec_headers.get_header("WARC-Target-URI") for r in records(live.archive("wrong"))
            if r.rec_type == "response"}
    assert {u for u in live.served if "index-news" in u} <= urls


# ---- replay ----------------------------------------------------------------------------------

def test_a_replay_yields_the_crawls_items_without_the_network_or_the_store(live, tmp_path):
    store = SqliteArticleStore(live.root / "live" / ".newscrawl" / "articles.sqlite3")
    recorded = store.count()
    store.close()
    run = replay(tmp_path, "-a", f"archive={live.archive().parent}")  # a folder of archives
    assert run.returncode == 0, run.stderr
    assert items_by_url(sorted((tmp_path / "output" / "tribun-replay").glob("*.jsonl"))) == \
        items_by_url(live.crawl.feed_files())
    assert run.stat("replay/responses") == run.stats["downloader/request_count"]  # every request, from the archive
    assert run.stat("replay/missing") == 0 and run.stat("articles/known") == 0  # the store not asked...
    assert not (tmp_path / ".newscrawl" / "articles.sqlite3").exists()  # ...nor written
    assert not list(tmp_path.rglob("*.warc.gz"))  # a replay writes no archive
    store = SqliteArticleStore(live.root / "live" / ".newscrawl" / "articles.sqlite3")
    assert store.count() == recorded
    store.close()


def test_a_replay_follows_archived_redirects_and_failures_as_live(live, tmp_path):
    expected = items_by_url(live.crawl.feed_files())
    assert expected[live.site.url(MAKASSAR)]["complete"] is False  # page 2 failed live...
    run = replay(tmp_path, "-a", f"archive={live.archive()}", "-a", f"urls={live.site.url(MOVED)},{live.site.url(MAKASSAR)}")
    assert run.returncode == 0, run.stderr
    items = items_by_url(sorted((tmp_path / "output" / "tribun-replay").glob("*.jsonl")))
    assert items == {u: expected[u] for u in (live.site.url(EMAS), live.site.url(MAKASSAR))}  # ...and replayed
    assert run.stats["downloader/response_status_count/302"] == 1 and run.stat("replay/missing") == 0


def test_a_replay_asks_the_store_when_the_setting_says_so(live):
    run = replay(live.root / "live", "-s", "NEWSCRAWL_REPLAY_INCREMENTAL=1", "-a", f"archive={live.archive()}")
    assert run.returncode == 0, run.stderr
    assert run.stat("articles/known") == len(live.crawl.items()) and run.stat("replay/responses") == 0


def test_a_page_the_archive_lacks_makes_its_article_incomplete(live, tmp_path):
    lacking = tmp_path / "lacking.warc.gz"
    page_two = live.site.url(PSBB) + "?page=2"
    with live.archive().open("rb") as source, lacking.open("wb") as target:
        writer = WARCWriter(target, gzip=True)
        for record in ArchiveIterator(source):
            if record.rec_headers.get_header("WARC-Target-URI") != page_two:
                writer.write_record(record)
    run = replay(tmp_path, "-a", f"archive={lacking}")
    assert run.returncode == 0, run.stderr
    items = items_by_url(sorted((tmp_path / "output" / "tribun-replay").glob("*.jsonl")))
    expected = items_by_url(live.crawl.feed_files())
    psbb = live.site.url(PSBB)
    assert items[psbb]["complete"] is False and items[psbb]["page_count"] == 3
    assert "Pada halaman kedua" not in items[psbb]["body"] and expected[psbb]["body"].startswith(items[psbb]["body"][:200])
    assert {u: i for u, i in items.items() if u != psbb} == {u: i for u, i in expected.items() if u != psbb}
    assert run.stat("replay/missing") == 1
    assert run.stat("articles/incomplete") == live.crawl.stat("articles/incomplete") + 1


def test_a_replay_applies_a_corrected_extractor_to_history(live, tmp_path):
    wrong = items_by_url(live.wrong.feed_files())
    icons = {u for u, item in wrong.items() if (item["image_url"] or "").endswith("zoom-in.svg")}
    assert len(icons) >= 2  # the wrong rule took the 2020 template's lightbox icon
    run = replay(tmp_path, "-a", f"archive={live.archive('wrong')}")
    assert run.returncode == 0, run.stderr
    fixed = items_by_url(sorted((tmp_path / "output" / "tribun-replay").glob("*.jsonl")))
    assert fixed.keys() == wrong.keys()
    for url, item in fixed.items():
        page = live.served[url]
        assert item["image_url"] == page_record(page, url)["image_url"]  # today's rule, every article
        assert {k: v for k, v in item.items() if k != "image_url"} == \
            {k: v for k, v in wrong[url].items() if k != "image_url"}
    assert all(not fixed[u]["image_url"].endswith(".svg") for u in icons)


@pytest.mark.parametrize("value, message", [
    ("missing.warc.gz", "-a archive: missing.warc.gz: no such file or folder"),
    ("empty-folder", "-a archive: empty-folder: no .warc.gz, .warc or .wacz file in this folder"),
])
def test_a_bad_archive_argument_is_one_line(tmp_path, value, message):
    (tmp_path / "empty-folder").mkdir()
    run = run_crawl(tmp_path, "-a", f"archive={value}")
    assert run.returncode == 2 and run.stderr.strip() == f"scrapy crawl tribun: error: {message}"


# ---- from the archive to a regression fixture ------------------------------------------------

def test_an_archived_article_becomes_a_fixture_that_fails_until_reviewed(live, tmp_path):
    into = tmp_path / "fixtures"
    done = subprocess.run([sys.executable, "-m", "newscrawl.archive.fixture", str(live.archive()),
                           live.site.url(PSBB) + "?page=2", "--into", str(into)],
                          cwd=REPO, env=crawl_env(), capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    pages = sorted(into.rglob("*.html"))
    assert [p.name.split("__")[-1] for p in pages] == [
        "pemerintah-perpanjang-psbb-jakarta-hingga-akhir-mei.html", "page=2.html", "page=3.html"]
    local = urlsplit(live.site.url(PSBB))
    for page in pages:
        query = page.stem.split("__")[1] if "__" in page.stem else ""
        assert page.read_bytes() == live.served[live.site.url(PSBB) + (f"?{query}" if query else "")]
        with pytest.raises(AssertionError, match="is not reviewed yet"):
            check_fixture(page, into)
        record = json.loads(page.with_suffix(".json").read_text(encoding="utf-8"))
        assert record["_provenance"]["url"].startswith(f"http://{local.netloc}/")
        del record["_unreviewed"]  # a person checked it
        page.with_suffix(".json").write_text(json.dumps(record), encoding="utf-8")
        check_fixture(page, into)


def test_the_fixture_command_names_what_it_cannot_find(live, tmp_path):
    done = subprocess.run([sys.executable, "-m", "newscrawl.archive.fixture", str(live.archive()),
                           "https://www.tribunnews.com/nasional/2020/05/04/not-crawled", "--into", str(tmp_path)],
                          cwd=REPO, env=crawl_env(), capture_output=True, text=True)
    assert done.returncode == 1 and "no page of this article in the archives" in done.stderr
    assert not list(tmp_path.iterdir())


def test_the_spider_reads_its_archives_when_the_crawl_begins_not_while_it_is_built():
    """Scrapy builds every component before the crawl: the index (seconds on a large
    archive) is read by the spider's ``start()``, where a signal can stop it."""
    from scrapy.crawler import Crawler
    from scrapy.settings import Settings
    from scrapy.statscollectors import MemoryStatsCollector

    from newscrawl import settings as project
    from newscrawl.spiders.tribun import TribunSpider

    crawler = Crawler(TribunSpider, Settings({k: v for k, v in vars(project).items() if k.isupper()}))
    spider = TribunSpider.from_crawler(crawler, archive=str(REPO / "samples" / "tribun-genuine-pages.warc.gz"))
    crawler.spider, crawler.stats = spider, MemoryStatsCollector(crawler)
    assert spider.replays and spider.replay is None
    spider._read_archives()
    assert spider.replay.records > 0 and crawler.stats.get_value("newscrawl/replay/records") == spider.replay.records
