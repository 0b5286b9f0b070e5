"""End-to-end crawls through the real Scrapy engine against the local fixture site."""
from __future__ import annotations

import pytest
from scrapy.settings import BaseSettings, Settings

from newscrawl.addons import leave_out_disabled
from newscrawl.items import ARTICLE_FIELDS
from tests.conftest import run_crawl
from tests.fixture_site import FIXTURE_ROOT, FixtureSite

PSBB = "https://www.tribunnews.com/nasional/2020/05/04/pemerintah-perpanjang-psbb-jakarta-hingga-akhir-mei"
CABAI = "https://makassar.tribunnews.com/2022/08/19/harga-cabai-rawit-di-pasar-terong-makassar-tembus-rp-80-ribu"
KORUT = ("https://www.tribunnews.com/internasional/7712345/"
         "ukraina-dan-nato-dalam-masalah-serius-korea-utara-buka-opsi-kirim-senjata-mematikan-ke-rusia")


def test_three_page_article_is_one_item_with_all_text_in_order(site, tmp_path):
    # Given page 2 with a tracking parameter: the spider starts from page 1 anyway.
    run = run_crawl(tmp_path, "-a", f"urls={site.url(PSBB)}?page=2&utm_source=wa")
    assert run.returncode == 0, run.stderr
    [item] = run.items()
    assert list(item) == list(ARTICLE_FIELDS)
    assert item["url"] == site.url(PSBB)
    assert (item["page_count"], item["complete"]) == (3, True)
    body = item["body"]
    order = ["TRIBUNNEWS.COM, JAKARTA - Pemerintah", "Selama perpanjangan", "Sanksi bagi pelanggar",
             "Data Dinas Kesehatan DKI", "4.000 sampel per hari."]
    positions = [body.index(text) for text in order]
    assert positions == sorted(positions)
    # Page 2 repeats page 1's last paragraph: it appears once.
    assert body.count("Ia meminta warga tetap tinggal di rumah") == 1
    assert "Baca:" not in body and "googletag" not in body and "\n\n\n" not in body
    assert item["related_urls"] == [
        site.url("https://www.tribunnews.com/nasional/2020/05/03/update-corona-3-mei-2020-kasus-positif-bertambah"),
        site.url("https://www.tribunnews.com/nasional/2020/05/02/polisi-tindak-ratusan-pelanggar-psbb")]
    assert item["published_at"] == "2020-05-04T04:25:13+07:00"
    assert item["word_count"] > 100 and len(item["content_hash"]) == 64 and item["crawled_at"]
    assert run.stat("articles/scraped") == 1
    assert run.stat("pages/merged") == 2
    assert run.stat("articles/multi_page") == 1
    assert run.stat("articles/incomplete") == 0
    assert run.stats["item_scraped_count"] == 1


def test_index_page_yields_each_of_its_articles_once(site, tmp_path):
    run = run_crawl(tmp_path, "-a", f"urls={site.url('https://www.tribunnews.com/index-news?date=2020-5-4')}")
    assert run.returncode == 0, run.stderr
    items = run.items()
    urls = sorted(item["url"] for item in items)
    assert urls == sorted(site.url(u) for u in [
        PSBB, "https://www.tribunnews.com/nasional/2020/05/04/kasus-covid-19-di-bekasi-bertambah",
        "https://www.tribunnews.com/bisnis/2020/05/04/harga-emas-antam-naik",
        "https://www.tribunnews.com/regional/7698765/banjir-rendam-ratusan-rumah-di-kudus"])
    assert all(item["complete"] and item["title"] and item["body"] for item in items)
    # Page 3 repeats page 2, as the site does past its last page: paging stops there.
    assert run.stat("listings/parsed") == 3
    assert run.stat("listings/repeated") == 1
    assert run.stat("articles/seen_again") == 1  # Bekasi is listed on pages 1 and 2
    assert not any("page=4" in url for url in site.requests)


def test_sitemap_index_leads_to_news_sitemaps_and_their_articles(site, tmp_path):
    run = run_crawl(tmp_path, "-s", "NEWSCRAWL_ARCHIVE=0", "-a", f"urls={site.url('https://www.tribunnews.com/sitemap.xml')}")
    assert run.returncode == 0, run.stderr
    assert not list(tmp_path.rglob("*.warc.gz*"))  # the web archive turned off
    urls = sorted(item["url"] for item in run.items())
    assert urls == sorted(site.url(u) for u in [
        PSBB, KORUT, "https://www.tribunnews.com/nasional/2020/05/04/kasus-covid-19-di-bekasi-bertambah"])
    assert run.stat("sitemaps/index") == 1 and run.stat("sitemaps/urlset") == 2
    assert not any("sitemap-web" in url for url in site.requests)


def test_failing_page_two_still_yields_the_article_marked_incomplete(site, tmp_path):
    site.faults[f"{CABAI}?page=2"] = 500
    run = run_crawl(tmp_path, "-a", f"urls={site.url(CABAI)}")
    assert run.returncode == 0, run.stderr
    [item] = run.items()
    assert (item["page_count"], item["complete"]) == (2, False)
    assert item["body"].endswith("Ia berharap harga kembali normal menjelang bulan September.")
    assert item["published_at"] == "2022-08-19T10:15:00+08:00"
    assert run.stat("pages/failed") == 1
    assert run.stat("articles/incomplete") == 1
    assert run.stats["retry/count"] == 1  # RETRY_TIMES=1 in tests
    assert site.requests.count(f"{CABAI}?page=2") == 2


def test_one_item_per_article_whatever_url_variant_was_given(site, tmp_path):
    base, path = site.url(KORUT).split("/internasional/", 1)
    variants = [site.url(KORUT), site.url(KORUT) + "/", site.url(KORUT) + "?page=3",
                site.url(KORUT) + "?utm_source=twitter&fbclid=x#komentar", f"{base}/amp/internasional/{path}"]
    run = run_crawl(tmp_path, "-a", "urls=" + ",".join(variants))
    assert run.returncode == 0, run.stderr
    [item] = run.items()
    assert item["page_count"] == 3 and item["complete"]
    assert item["body"].count("Korea Utara mengatakan, mereka akan mencoba peluncuran lagi") == 1
    assert "Halaman 2 dari 3" not in item["body"] and "Ringkasan Berita" not in item["body"]
    assert run.stat("articles/seen_again") == 4
    assert site.requests.count(KORUT) == 1


@pytest.mark.parametrize("args, named", [
    (["-a", "url=https://www.tribunnews.com/"], "-a url="),
    (["-a", "since=2024-13-01"], "-a since="),
    (["-a", "since=2024-02-01", "-a", "until=2024-01-01"], "-a since=2024-02-01 is after -a until=2024-01-01"),
    (["-a", "sites=www,atlantis"], "'atlantis'"),
    (["-a", "urls=ftp://www.tribunnews.com/x"], "-a urls: 'ftp://www.tribunnews.com/x'"),
])
def test_bad_argument_stops_before_any_request(site, tmp_path, args, named):
    run = run_crawl(tmp_path, *args)
    assert run.returncode == 2
    lines = run.stderr.strip().splitlines()
    assert len(lines) == 1 and named in lines[0], run.stderr
    assert "Traceback" not in run.stderr
    assert not (tmp_path / "output").exists()
    assert site.requests == [] and run.stats == {}


def test_scrapyd_style_underscore_arguments_are_accepted(site, tmp_path):
    run = run_crawl(tmp_path, "-a", "_job=abc123", "-a",
                    f"urls={site.url('https://www.tribunnews.com/bisnis/2020/05/04/harga-emas-antam-naik')}")
    assert run.returncode == 0, run.stderr
    assert len(run.items()) == 1


def test_pages_beyond_the_cap_are_not_fetched(site, tmp_path):
    run = run_crawl(tmp_path, "-s", "NEWSCRAWL_MAX_PAGES=2", "-a", f"urls={site.url(PSBB)}")
    [item] = run.items()
    assert (item["page_count"], item["complete"]) == (3, False)
    assert "Selama perpanjangan" in item["body"] and "Data Dinas Kesehatan" not in item["body"]
    assert run.stat("pages/capped") == 1 and run.stat("articles/incomplete") == 1
    assert f"{PSBB}?page=3" not in site.requests


def test_bogus_pagination_terminates_with_one_item_and_no_repeated_text(tmp_path):
    # An article claiming 999 pages whose page 3 serves page 2 again.
    root = tmp_path / "site"
    source = FIXTURE_ROOT / "www.tribunnews.com" / "nasional" / "2020" / "05" / "04"
    target = root / "www.tribunnews.com" / "nasional" / "2020" / "05" / "04"
    target.mkdir(parents=True)
    name = "pemerintah-perpanjang-psbb-jakarta-hingga-akhir-mei"
    first = (source / f"{name}.html").read_text().replace(
        "<div class='paging mb20'>", "<div class='paging mb20'><span class='total-page'>Halaman 1/999</span>")
    (target / f"{name}.html").write_text(first)
    second = (source / f"{name}__page=2.html").read_text()
    (target / f"{name}__page=2.html").write_text(second)
    (target / f"{name}__page=3.html").write_text(second.replace('id="pagecurrent" class="white bgblue">2',
                                                                  'id="pagecurrent" class="white bgblue">3'))
    with FixtureSite(root) as bogus:
        run = run_crawl(tmp_path / "run", "-a", f"urls={bogus.url(PSBB)}")
        requests = list(bogus.requests)
    [item] = run.items()
    assert (item["page_count"], item["complete"]) == (999, False)
    assert item["body"].count("Sanksi bagi pelanggar") == 1
    assert run.stat("pages/capped") == 1 and run.stat("pages/repeated") == 1
    assert f"{PSBB}?page=4" not in requests


def test_robots_disallowed_paths_are_never_requested(site, tmp_path):
    tag = site.url("https://www.tribunnews.com/tag/psbb")
    run = run_crawl(tmp_path, "-a", f"urls={tag},{site.url(PSBB)}")
    assert run.returncode == 0, run.stderr
    assert "https://www.tribunnews.com/tag/psbb" not in site.requests
    assert run.stats["robotstxt/forbidden"] == 1 and len(run.items()) == 1


def test_articles_of_an_index_page_are_fetched_before_the_next_index_page(tmp_path):
    """A backfill holds about one index page of article requests, not the whole day's."""
    from tests.sitegen import build_site, index_url

    articles = build_site(tmp_path / "site", 30, per_index_page=10, pages_mix=(1,))
    with FixtureSite(tmp_path / "site") as site:
        run = run_crawl(tmp_path / "run", "-s", "CONCURRENT_REQUESTS=1", "-a", f"urls={site.url(index_url())}")
        requests = list(site.requests)
    assert run.returncode == 0, run.stderr
    assert len(run.items()) == 30
    order = {url: n for n, url in enumerate(requests)}
    second_index = min(n for url, n in order.items() if "index-news" in url and "page=2" in url)
    assert all(order[a.url] < second_index for a in articles[:10])  # site.requests: real URLs
    assert all(order[a.url] > second_index for a in articles[10:])


def test_component_paths_from_before_the_folders_still_work(site, tmp_path):
    """A user's override names the old path (newscrawl.report.RunReport): it still switches
    the component off, not a second copy beside the new one."""
    run = run_crawl(tmp_path, "-s", 'EXTENSIONS={"newscrawl.report.RunReport": null}',
                    "-s", "LOG_FORMATTER=newscrawl.extensions.OneLineLogFormatter", "-a", f"urls={site.url(CABAI)}")
    assert run.returncode == 0, run.stderr
    assert len(run.items()) == 1
    assert not list((tmp_path / "output").rglob("*.report.json")) and "newscrawl/verdict" not in run.stats
    assert ("EXTENSIONS: newscrawl.report.RunReport is an old path of newscrawl.run.report.RunReport: "
            "write the new one") in run.stderr  # deprecated, for one release


OFF_EXTENSIONS = {"scrapy.extensions.remote_control.RemoteControl", "scrapy.extensions.telnet.TelnetConsole"}


def test_scrapy_components_off_by_their_own_setting_are_not_loaded_until_it_is_on():
    """RemoteControl and TelnetConsole are off in settings.py; cookies are on in a live
    crawl: what a user turns on with -s is loaded as before."""
    def base(**overrides) -> tuple[BaseSettings, BaseSettings]:
        settings = Settings()
        settings.setmodule("newscrawl.settings", priority="project")
        settings.setdict(overrides, priority="cmdline")
        leave_out_disabled(settings)
        return settings["EXTENSIONS_BASE"], settings["DOWNLOADER_MIDDLEWARES_BASE"]

    extensions, middlewares = base()
    assert not OFF_EXTENSIONS & set(extensions)
    assert {"scrapy.extensions.corestats.CoreStats", "scrapy.extensions.feedexport.FeedExporter"} <= set(extensions)
    assert "scrapy.downloadermiddlewares.cookies.CookiesMiddleware" in middlewares
    extensions, middlewares = base(REMOTE_CONTROL_ENABLED=True, TELNETCONSOLE_ENABLED=True, COOKIES_ENABLED=False)
    assert OFF_EXTENSIONS <= set(extensions)
    assert "scrapy.downloadermiddlewares.cookies.CookiesMiddleware" not in middlewares


def test_a_long_list_of_urls_is_queued_as_the_crawl_takes_it(tmp_path):
    """Seeds wait in the scheduler NEWSCRAWL_SEED_BACKLOG at most (a list of 10^6 URLs was
    queued whole: 2.3 GB, and its stop took minutes); every listed article is crawled."""
    from tests.fixture_site import FixtureSite
    from tests.sitegen import build_site

    articles = build_site(tmp_path / "site", 40, pages_mix=(1,))
    with FixtureSite(tmp_path / "site", delay=0.02) as site:  # one at a time: the seeds pile up
        run = run_crawl(tmp_path / "run", "-s", "NEWSCRAWL_SEED_BACKLOG=5", "-s", "CONCURRENT_REQUESTS=1",
                        "-a", "urls=" + ",".join(site.url(a.url) for a in articles))
    assert run.returncode == 0, run.stderr
    assert len(run.items()) == 40 and 1 <= run.stat("seeds/most_queued") <= 5
