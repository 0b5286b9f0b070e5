"""Spider arguments: parsing, one-line errors, and the seeds they lead to."""
from __future__ import annotations

import asyncio
from datetime import date

import pytest
from scrapy.utils.test import get_crawler

from newscrawl.crawl.arguments import ArgumentError, parse_arguments
from newscrawl.network.sites import ALL_SITES
from newscrawl.spiders.tribun import TribunSpider

TODAY = date(2026, 11, 25)


def seeds(**kwargs: str) -> list[str]:
    crawler = get_crawler(TribunSpider, settings_dict={"NEWSCRAWL_MAX_PAGES": 50})
    spider = TribunSpider.from_crawler(crawler, **kwargs)

    async def collect() -> list[str]:
        return [request.url async for request in spider.start()]

    return asyncio.run(collect())


def test_defaults_crawl_www():
    args = parse_arguments({}, TODAY)
    assert args.sites == ("www",) and args.urls == () and args.days == []


def test_since_alone_runs_until_today_newest_first():
    args = parse_arguments({"since": "2026-11-23"}, TODAY)
    assert args.days == [date(2026, 11, 25), date(2026, 11, 24), date(2026, 11, 23)]


def test_until_alone_is_that_one_day():
    assert parse_arguments({"until": "2021-05-01"}, TODAY).days == [date(2021, 5, 1)]


def test_sites_all_is_the_whole_network():
    assert parse_arguments({"sites": "all"}, TODAY).sites == ALL_SITES


@pytest.mark.parametrize("raw, message", [
    ({"url": "x"}, "unknown argument -a url="),
    ({"since": "4 Mei 2020"}, "-a since='4 Mei 2020' is not a date"),
    ({"until": "2020-02-30"}, "-a until="),
    ({"since": "2020-05-02", "until": "2020-05-01"}, "is after"),
    ({"sites": "www,atlantis"}, "unknown site 'atlantis'"),
    ({"sites": " , "}, "-a sites is empty"),
    ({"sections": "Nasional!"}, "-a sections"),
    ({"urls": "www.tribunnews.com/x"}, "not an http(s) URL"),
    ({"urls": "http://127.0.0.1:1/x", "sites": "www"}, "-a urls crawls exactly"),
])
def test_bad_arguments_raise_one_line_naming_them(raw, message):
    with pytest.raises(ArgumentError) as error:
        parse_arguments(raw, TODAY)
    assert message in str(error.value) and "\n" not in str(error.value)


def test_underscore_arguments_from_scrapyd_are_ignored():
    assert parse_arguments({"_job": "1", "_version": "2"}, TODAY).urls == ()


def test_default_seeds_are_news_sitemaps_and_todays_index():
    urls = seeds()
    assert urls[0] == "https://www.tribunnews.com/sitemap.xml"
    assert urls[1].startswith("https://www.tribunnews.com/index-news?date=")
    assert len(urls) == 2


def test_backfill_seeds_are_dated_index_pages_per_site_and_section():
    urls = seeds(since="2021-05-01", until="2021-05-02", sites="www,surabaya", sections="nasional")
    assert urls == [
        "https://www.tribunnews.com/index-news/nasional?date=2021-5-2",
        "https://www.tribunnews.com/index-news/nasional?date=2021-5-1",
        "https://surabaya.tribunnews.com/index-news/nasional?date=2021-5-2",
        "https://surabaya.tribunnews.com/index-news/nasional?date=2021-5-1",
    ]


def test_regional_sites_seed_their_news_sitemap():
    assert seeds(sites="solo")[0] == "https://solo.tribunnews.com/sitemap_news.xml"


def test_given_urls_are_the_only_seeds_and_their_hosts_are_allowed():
    spider = TribunSpider(urls="http://127.0.0.1:8000/2020/01/01/a?page=2,https://x.example/index-news")
    assert spider.allows("http://127.0.0.1:8000/b") and spider.allows("https://x.example/c")
    assert not spider.allows("http://127.0.0.1:8001/b") and not spider.allows("https://y.example/c")
    assert seeds(urls="http://127.0.0.1:8000/2020/01/01/a?page=2&utm_source=x,https://x.example/index-news") == [
        "http://127.0.0.1:8000/2020/01/01/a", "https://x.example/index-news"]


def test_scrapy_parse_routes_a_url_and_writes_nothing(site, tmp_path):
    import subprocess
    import sys

    from tests.conftest import crawl_env

    url = site.url("https://www.tribunnews.com/bisnis/2020/05/04/harga-emas-antam-naik")
    done = subprocess.run([sys.executable, "-m", "scrapy", "parse", "--spider", "tribun", "-a", f"urls={url}", url],
                          cwd=tmp_path, env=crawl_env(), capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert "# Scraped Items" in done.stdout and "Harga Emas Antam Naik Rp 3.000" in done.stdout
    assert "parse callback is not defined" not in done.stderr and "Run " not in done.stderr
    assert list(tmp_path.iterdir()) == []  # no output, report, state or journal


def test_a_run_from_a_subfolder_uses_the_output_and_state_beside_scrapy_cfg(site, tmp_path):
    import shutil

    from tests.conftest import REPO, run_crawl

    shutil.copy(REPO / "scrapy.cfg", tmp_path / "scrapy.cfg")  # a checkout: tmp_path is its root
    url = site.url("https://www.tribunnews.com/bisnis/2020/05/04/harga-emas-antam-naik")
    first = run_crawl(tmp_path, "-a", f"urls={url}")
    assert first.returncode == 0, first.stderr
    again = run_crawl(tmp_path / "notebooks", "-a", f"urls={url}")  # cd notebooks && scrapy crawl ...
    assert again.returncode == 0, again.stderr
    assert again.stat("articles/known") == 1  # the same state: nothing exported twice
    assert sorted(p.name for p in (tmp_path / "notebooks").iterdir()) == ["stats.json"]
    assert len(list((tmp_path / "output" / "tribun").glob("*.report.json"))) == 2


def test_the_spider_takes_the_arguments_the_crawl_command_checked(tmp_path):
    """`scrapy crawl` reads the arguments once (a urls file of 10^6 rows took 9 s each time):
    the spider gets them checked, and does not read the file again (here gone meanwhile)."""
    from datetime import date

    from newscrawl.crawl.arguments import CHECKED_ARGUMENTS, parse_arguments
    from newscrawl.spiders.tribun import TribunSpider

    listing = tmp_path / "urls.csv"
    listing.write_text("url\nhttps://www.tribunnews.com/nasional/7845771/judul\n")
    raw = {"urls_file": str(listing)}
    checked = parse_arguments(raw, today=date(2026, 12, 7))
    listing.unlink()
    spider = TribunSpider(**raw, **{CHECKED_ARGUMENTS: checked})
    assert spider.options is checked and spider.options.urls == ("https://www.tribunnews.com/nasional/7845771/judul",)
