"""A web that fails: every fault of the "hostile web" list, end to end through the engine."""
from __future__ import annotations

import asyncio
import json
import resource
import subprocess
from types import SimpleNamespace
from unittest.mock import patch

import pytest
from scrapy import Request
from scrapy.utils.test import get_crawler

from newscrawl.crawl.waits import NOT_BEFORE, Parked, Waits
from newscrawl.network.urls import canonical_url
from tests.conftest import crawl_command, crawl_env, finalized_items, run_crawl
from tests.fixture_site import FIXTURE_ROOT, FixtureSite
from tests.sitegen import build_site, index_url

EMAS = "https://www.tribunnews.com/bisnis/2020/05/04/harga-emas-antam-naik"
BEKASI = "https://www.tribunnews.com/nasional/2020/05/04/kasus-covid-19-di-bekasi-bertambah"
PSBB = "https://www.tribunnews.com/nasional/2020/05/04/pemerintah-perpanjang-psbb-jakarta-hingga-akhir-mei"
INDEX = "https://www.tribunnews.com/index-news?date=2020-5-4"


def test_server_errors_timeouts_and_resets_are_retried_with_backoff(site, tmp_path):
    site.faults[EMAS] = [500, 502, 503, "timeout", "reset"]
    site.hang = 2
    run = run_crawl(tmp_path, "-s", "RETRY_TIMES=5", "-s", "DOWNLOAD_TIMEOUT=1", "-a", f"urls={site.url(EMAS)}")
    assert run.returncode == 0, run.stderr
    assert len(run.items()) == 1 and site.requests.count(EMAS) == 6
    assert run.stats["retry/count"] == 5
    # Waits of 0.05 * 2**n seconds (n = 0..4) before the retries:
    assert run.stats["newscrawl/retries/wait_seconds"] == pytest.approx(0.05 * (1 + 2 + 4 + 8 + 16))


@pytest.mark.parametrize("asked, bound, waited", [("1", 120, 1.0), ("3600", 0.5, 0.5)])
def test_429_waits_as_retry_after_says_within_a_bound(site, tmp_path, asked, bound, waited):
    site.faults[EMAS] = [("retry-after", asked)]
    run = run_crawl(tmp_path, "-s", f"NEWSCRAWL_RETRY_AFTER_MAX={bound}", "-a", f"urls={site.url(EMAS)}")
    assert len(run.items()) == 1
    assert run.stats["newscrawl/throttled/429"] == 1 and run.stats["newscrawl/throttled/retry_after"] == 1
    assert run.stats["newscrawl/retries/wait_seconds"] == waited
    assert run.stats.get("newscrawl/throttled/retry_after_capped", 0) == (1 if waited < float(asked) else 0)


def test_a_host_that_answers_403_to_everything_is_not_hammered(tmp_path):
    articles = build_site(tmp_path / "site", 60, per_index_page=60)
    with FixtureSite(tmp_path / "site") as site:
        site.faults.update({a.url: 403 for a in articles})
        run = run_crawl(tmp_path / "run", "-a", f"urls={site.url(index_url())}")
        asked = [u for u in site.requests if "nasional" in u]
    # NEWSCRAWL_BLOCKED_AFTER (5) refusals, plus at most CONCURRENT_REQUESTS (16) already
    # handed to the downloader; then the host is left alone.
    assert len(asked) <= 5 + 16
    assert run.stats["newscrawl/blocked_hosts"] == 1
    assert run.stats["newscrawl/skipped/blocked_host"] == 60 - len(asked)
    report = json.loads(next((tmp_path / "run" / "output").rglob("*.report.json")).read_text())
    assert report["verdict"] == "blocked" and run.returncode == 5


def test_page_3_of_4_missing_gives_an_incomplete_item_with_the_other_pages_in_order(tmp_path):
    articles = build_site(tmp_path / "site", 4)  # article 3 has 4 pages
    four = articles[3]
    with FixtureSite(tmp_path / "site") as site:
        site.faults[f"{four.url}?page=3"] = 404
        run = run_crawl(tmp_path / "run", "-a", f"urls={site.url(four.url)}")
    [item] = run.items()
    assert (item["page_count"], item["complete"]) == (4, False)
    expected = [p for n in (0, 1, 3) for p in four.pages[n]]
    assert item["body"] == "\n\n".join(expected)
    assert run.stat("pages/failed") == 1 and run.stat("articles/incomplete") == 1


def test_pagination_that_loops_back_to_page_1_terminates(site, tmp_path):
    site.faults[f"{PSBB}?page=2"] = [("redirect", site.url(PSBB))]
    run = run_crawl(tmp_path, "-a", f"urls={site.url(PSBB)}")
    [item] = run.items()
    assert item["complete"] is False and item["body"].count("Ia meminta warga tetap tinggal") == 1
    assert run.stat("pages/repeated") == 1
    assert f"{PSBB}?page=3" not in site.requests


def test_truncated_empty_and_non_html_answers_give_no_item_and_are_counted(site, tmp_path):
    kudus = "https://www.tribunnews.com/regional/7698765/banjir-rendam-ratusan-rumah-di-kudus"
    site.faults.update({EMAS: "truncate", BEKASI: "empty", kudus: "pdf"})
    run = run_crawl(tmp_path, "-a", "urls=" + ",".join(site.url(u) for u in (EMAS, BEKASI, kudus, PSBB)))
    assert run.returncode == 0, run.stderr
    assert [item["url"] for item in run.items()] == [site.url(PSBB)]
    assert run.stat("articles/failed") == 1  # truncated, after its retry
    assert run.stats["newscrawl/dropped/missing_title"] == 1  # the empty page
    assert run.stat("articles/not_html") == 1
    assert "Traceback" not in run.stderr


def test_a_20_mb_page_is_refused_by_size_and_the_crawl_goes_on(site, tmp_path):
    site.faults[EMAS] = "huge"
    run = run_crawl(tmp_path, "-a", f"urls={site.url(EMAS)},{site.url(BEKASI)}")
    assert [item["url"] for item in run.items()] == [site.url(BEKASI)]
    assert run.stat("articles/failed") == 1
    assert "larger than download max size (8388608)" in run.stderr


@pytest.fixture
def charset_site(tmp_path):
    """The same article three times: cp1252 declared only in <meta>, a BOM, mixed bytes."""
    source = (FIXTURE_ROOT / "www.tribunnews.com" / "bisnis" / "2020" / "05" / "04" / "harga-emas-antam-naik.html")
    html = source.read_text().replace("Harga Emas Antam Naik Rp 3.000</h1>", "Kafe café – Harga Emas</h1>")
    folder = tmp_path / "site" / "www.tribunnews.com" / "bisnis" / "2020" / "05" / "04"
    folder.mkdir(parents=True)
    meta_only = html.replace('<meta charset="UTF-8">', '<meta http-equiv="Content-Type" '
                                                      'content="text/html; charset=windows-1252">')
    def own(text: str, name: str, number: int) -> str:  # its own URL and article id
        return text.replace("harga-emas-antam-naik", name).replace("4962377", f"496237{number}")

    (folder / "meta-only.html").write_bytes(own(meta_only, "meta-only", 1).encode("cp1252"))
    (folder / "bom.html").write_bytes(b"\xef\xbb\xbf" + own(html, "bom", 2).encode())
    mixed = own(html, "mixed", 3).encode()
    mixed = mixed.replace("Kafe café".encode(), "Kafe caf".encode() + "é".encode("cp1252"))
    (folder / "mixed.html").write_bytes(mixed)
    with FixtureSite(tmp_path / "site") as site:
        base = "https://www.tribunnews.com/bisnis/2020/05/04/"
        site.faults.update({base + "meta-only": ("content-type", "text/html"),
                            base + "bom": ("content-type", "text/html; charset=iso-8859-1")})
        site.pages = [base + name for name in ("meta-only", "bom", "mixed")]
        yield site


def test_wrong_or_missing_charsets_are_decoded_correctly(charset_site, tmp_path):
    run = run_crawl(tmp_path / "run", "-a", "urls=" + ",".join(charset_site.url(u) for u in charset_site.pages))
    titles = sorted(item["title"] for item in run.items())
    assert titles == ["Kafe café – Harga Emas"] * 3


def test_broken_json_ld_and_tag_soup_fall_back_to_other_sources(tmp_path):
    folder = tmp_path / "site" / "www.tribunnews.com" / "nasional" / "2021" / "03" / "05"
    folder.mkdir(parents=True)
    (folder / "sup.html").write_text("""<html><head><title>Sup Tanpa Tutup - Tribunnews.com</title>
<script type="application/ld+json">{"@type": "NewsArticle", "headline": "Sup", "datePublished": </script>
<script type="application/ld+json">{"@type":"NewsArticle","datePublished":"2021-03-05T10:00:00+07:00",}</script>
<script type="application/ld+json">{"@type":"NewsArticle","datePublished":"1999-01-01T00:00:00+07:00"}</script>
<body><div class="side-article txt-article"><p>Paragraf satu <b>tanpa penutup<p>Paragraf dua
<div id="div-Inside-MediumRectangle"><script>googletag.display()</script></div><p>Paragraf tiga</table></span>""")
    with FixtureSite(tmp_path / "site") as site:
        run = run_crawl(tmp_path / "run", "-a", f"urls={site.url('https://www.tribunnews.com/nasional/2021/03/05/sup')}")
    [item] = run.items()
    assert item["title"] == "Sup Tanpa Tutup" and item["published_at"] == "2021-03-05T10:00:00+07:00"
    assert item["body"] == "Paragraf satu tanpa penutup\n\nParagraf dua\n\nParagraf tiga"


@pytest.mark.parametrize("variant", [
    "http://www.tribunnews.com/bisnis/2020/05/04/harga-emas-antam-naik",
    "https://m.tribunnews.com/bisnis/2020/05/04/harga-emas-antam-naik",
    "https://m.tribunnews.com/amp/bisnis/2020/05/04/harga-emas-antam-naik",
    "https://www.tribunnews.com/amp/bisnis/2020/05/04/harga-emas-antam-naik/",
    "https://www.tribunnews.com/bisnis/2020/05/04/harga-emas-antam-naik?utm_source=fb&utm_medium=social#x",
    "https://tribunnews.com/bisnis/2020/05/04/harga-emas-antam-naik?page=1&fbclid=abc",
])
def test_every_url_variant_of_an_article_is_one_canonical_url(variant):
    assert canonical_url(variant) == EMAS


@pytest.mark.parametrize("variant", [  # the 2025-26 shapes of tribun-site.md section 8
    "https://surabaya.tribunnews.com/surabaya-metro/1911899/warga-antre?page=2&s=paging_new",
    "https://surabaya.tribunnews.com/surabaya-metro/1911899/warga-antre?s=paging_new",
    "http://surabaya.tribunnews.com/amp/surabaya-metro/1911899/warga-antre/?utm_source=x",
])
def test_a_regional_id_shaped_url_is_an_article_with_its_id_whatever_its_paging_marks(variant):
    from newscrawl.network.urls import article_id_from_url, is_article_url

    assert is_article_url(variant) and article_id_from_url(variant) == "1911899"
    assert canonical_url(variant) == "https://surabaya.tribunnews.com/surabaya-metro/1911899/warga-antre"


def test_an_index_whose_pages_repeat_past_page_10_stops_there(tmp_path):
    build_site(tmp_path / "site", 100, per_index_page=10, pages_mix=(1,))
    folder = tmp_path / "site" / "www.tribunnews.com"
    tenth = (folder / "index-news__date=2024-5-1&page=10.html").read_text()
    for number in (11, 12):  # the site repeats page 10 past its end, with a "Next" link on
        (folder / f"index-news__date=2024-5-1&page={number}.html").write_text(tenth.replace(
            "</div></div></body>", f'<a href="https://www.tribunnews.com/index-news?date=2024-5-1&amp;page={number + 1}"'
                                   f' data-ci-pagination-page="{number + 1}">Next</a></div></div></body>'))
    tenth_with_next = tenth.replace("</div></div></body>", '<a href="https://www.tribunnews.com/index-news?'
                                    'date=2024-5-1&amp;page=11" data-ci-pagination-page="11">Next</a></div></div></body>')
    (folder / "index-news__date=2024-5-1&page=10.html").write_text(tenth_with_next)
    with FixtureSite(tmp_path / "site") as site:
        run = run_crawl(tmp_path / "run", "-s", "NEWSCRAWL_NEAR_DUPLICATES=off", "-a", f"urls={site.url(index_url())}")
        requests = list(site.requests)
    assert len(run.items()) == 100
    assert run.stat("listings/repeated") == 1
    assert not any("page=12" in u for u in requests) and sum("index-news" in u for u in requests) == 11


@pytest.mark.parametrize("args, named", [
    (["-s", "CONCURRENT_REQUESTS=-1"], "-s CONCURRENT_REQUESTS=-1: must be 1 or more"),
    (["-s", "DOWNLOAD_TIMEOUT=soon"], "-s DOWNLOAD_TIMEOUT=soon: must be a number"),
    (["-s", "NEWSCRAWL_BLOCKED_AFTER=0"], "-s NEWSCRAWL_BLOCKED_AFTER=0: must be 1 or more"),
    (["-a", "until=2024-02-30"], "-a until='2024-02-30' is not a date in the form YYYY-MM-DD"),
])
def test_bad_values_fail_before_any_request_leaving_no_file(site, tmp_path, args, named):
    run = run_crawl(tmp_path, *args, "-a" if args[0] == "-s" else "-s",
                    f"urls={site.url(EMAS)}" if args[0] == "-s" else "NEWSCRAWL_PROGRESS_INTERVAL=60")
    assert run.returncode == 2 and run.stderr.strip().splitlines() == [f"scrapy crawl tribun: error: {named}"]
    assert site.requests == [] and not (tmp_path / "output").exists()


def test_an_output_folder_that_cannot_be_created_is_a_clear_error_at_start(site, tmp_path):
    (tmp_path / "output").write_text("a file where the output folder should be")
    run = run_crawl(tmp_path, "-a", f"urls={site.url(EMAS)}")
    assert run.returncode == 73
    [line] = run.stderr.strip().splitlines()
    assert line.startswith("scrapy crawl tribun: error: cannot write to output/tribun")
    assert site.requests == []


def test_a_full_disk_stops_the_crawl_and_records_nothing_then_a_rerun_completes(tmp_path):
    articles = build_site(tmp_path / "site", 60)
    work = tmp_path / "run"
    work.mkdir()
    with FixtureSite(tmp_path / "site") as site:
        limit = lambda: resource.setrlimit(resource.RLIMIT_FSIZE, (60_000, 60_000))  # noqa: E731
        full = subprocess.run(crawl_command("-a", f"urls={site.url(index_url())}"), cwd=work, env=crawl_env(),
                              preexec_fn=limit, capture_output=True, text=True, timeout=120)
        assert full.returncode == 4, full.stderr
        assert "Cannot write" in full.stderr and "File too large" in full.stderr
        assert finalized_items(work) == [] and not list((work / "output").rglob("*.warc.gz"))  # nor an archive
        report = json.loads(next((work / "output").rglob("*.report.json")).read_text())
        assert report["verdict"] == "failed" and "could not be written" in " ".join(report["problems"])
        rerun = run_crawl(work, "-a", f"urls={site.url(index_url())}")
    assert rerun.returncode == 0, rerun.stderr
    assert sorted(i["url"] for i in finalized_items(work)) == sorted(site.url(a.url) for a in articles)
    assert not list((work / "output").rglob("*.part"))


def test_the_crawl_writes_only_in_its_output_and_state_folders(site, tmp_path):
    run_crawl(tmp_path, "-s", "NEWSCRAWL_STATS_FILE=", "-a", f"urls={site.url(PSBB)}")
    top = {p.name for p in tmp_path.iterdir()}
    assert top == {"output", ".newscrawl"}


def test_an_offline_machine_gets_one_line_per_host_and_the_cause_in_the_report(tmp_path):
    # The README's first command with no network: no resolver answers (tests.chaos.NoDNS
    # fails every lookup without sending one).
    run = run_crawl(tmp_path, "-s", "TWISTED_DNS_RESOLVER=tests.chaos.NoDNS")
    assert run.returncode == 4, run.stderr
    assert "Traceback" not in run.stderr
    lines = [line for line in run.stderr.splitlines() if "DNS lookup failed for www.tribunnews.com" in line]
    assert len([line for line in lines if "[newscrawl.middlewares] ERROR" in line]) == 1
    assert "  problem: DNS lookup failed for www.tribunnews.com: is this machine online? (without network, " \
           "`scrapy crawl tribun -a archive=samples/` replays the sample archive" in run.stderr
    assert run.stat("dns_failed/www.tribunnews.com") == 1 and run.stat("listings/failed") == 2


# ---- round 2: nothing lost silently ------------------------------------------------------------

def test_hostile_markup_on_page_two_loses_nothing(tmp_path):
    articles = build_site(tmp_path / "site", 4)  # article 3 has 4 pages
    four = articles[3]
    folder = tmp_path / "site" / "www.tribunnews.com" / "nasional" / "8000003"
    page2 = folder / "artikel-nomor-3__page=2.html"
    deep_ld = '<script type="application/ld+json">' + "[" * 2000 + "]" * 2000 + "</script>"
    page2.write_text(page2.read_text().replace("</head>", deep_ld + "</head>"))
    page1 = folder / "artikel-nomor-3.html"  # 1,500 unclosed tags after the first paragraph
    page1.write_text(page1.read_text().replace("</p>", "</p>" + "<b>" * 1500, 1))
    with FixtureSite(tmp_path / "site") as running:
        run = run_crawl(tmp_path / "run", "-a", f"urls={running.url(four.url)}")
    assert run.returncode == 0, run.stderr
    [item] = run.items()
    assert item["complete"] and item["body"] == four.body
    assert "spider_exceptions/count" not in run.stats


def test_a_page_whose_extraction_raises_is_a_failed_page_not_a_lost_article(tmp_path):
    from tests.chaos import chaos_settings

    articles = build_site(tmp_path / "site", 4)
    four = articles[3]
    with FixtureSite(tmp_path / "site") as running:
        run = run_crawl(tmp_path / "run", *chaos_settings("FailingPageTwo"), "-a", f"urls={running.url(four.url)}")
    assert run.returncode == 7, run.stderr  # never ok: extraction must not raise
    [item] = run.items()
    assert (item["page_count"], item["complete"]) == (4, False)
    assert item["body"] == "\n\n".join(p for n in (0, 2, 3) for p in four.pages[n])
    assert run.stat("errors/extraction") == 1 and run.stat("pages/failed") == 1
    assert "problem: extraction raised on 1 page(s)" in run.stderr


# ---- round 2: crawls that never end or freeze ----------------------------------------------------

def test_an_index_of_empty_pages_with_next_links_stops_at_the_first(tmp_path):
    site_dir = tmp_path / "site" / "www.tribunnews.com"
    site_dir.mkdir(parents=True)
    for n in range(1, 31):  # as far as anyone would follow: each empty page links the next
        query = "date=2020-5-4" + ("" if n == 1 else f"&page={n}")
        (site_dir / f"index-news__{query}.html").write_text(
            f'<html><body><ul class="lsi"></ul><div id="paginga"><div class="paging">'
            f'<a href="/index-news?date=2020-5-4&amp;page={n + 1}" data-ci-pagination-page="{n + 1}">Next</a>'
            f'</div></div></body></html>')
    with FixtureSite(tmp_path / "site") as running:
        run = run_crawl(tmp_path / "run", "-a", f"urls={running.url(INDEX)}")
        requested = [u for u in running.requests if "index-news" in u]
    assert run.returncode == 3, run.stderr  # site_changed: no listing page had article links
    assert requested == [INDEX] and run.stat("listings/empty") == 1


def test_index_pages_per_date_and_sitemaps_per_run_are_capped(tmp_path):
    build_site(tmp_path / "site", 60, per_index_page=10, pages_mix=(1,))  # 6 index pages
    root = tmp_path / "site" / "www.tribunnews.com"
    for n in range(1, 21):  # sitemap indexes chaining to a new URL each, forever
        (root / f"sitemap-news-{n}.xml").write_text(
            '<?xml version="1.0"?><sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">'
            f'<sitemap><loc>https://www.tribunnews.com/sitemap-news-{n + 1}.xml</loc></sitemap></sitemapindex>')
    with FixtureSite(tmp_path / "site") as running:
        run = run_crawl(tmp_path / "run", "-s", "NEWSCRAWL_MAX_INDEX_PAGES=3", "-s", "NEWSCRAWL_MAX_SITEMAPS=4",
                        "-a", f"urls={running.url(index_url())},{running.url('https://www.tribunnews.com/sitemap-news-1.xml')}")
        requests = list(running.requests)
    assert run.returncode == 0, run.stderr
    assert run.stat("listings/parsed") == 3 and len(run.items()) == 30 and run.stat("listings/capped") >= 1
    assert sum("sitemap-news-" in u for u in requests) == 4 and run.stat("sitemaps/capped") == 1


@pytest.mark.timeout(60)  # quadratic passes took 140 s; a linear crawl of this takes a few
def test_a_listing_with_100000_links_is_read_in_linear_time_and_capped(tmp_path):
    articles = build_site(tmp_path / "site", 20, pages_mix=(1,))
    site_dir = tmp_path / "site" / "www.tribunnews.com"
    paths = [a.url.split(".com", 1)[1] for a in articles] + [f"/nasional/{n}/berita" for n in range(99_980)]
    links = "".join(f'<li class="ptb15"><h3><a href="{path}">b</a></h3></li>' for path in paths)
    pager = "".join(f'<a href="/index-news?date=2020-5-4&amp;page={n}" data-ci-pagination-page="{n}">{n}</a>'
                    for n in range(2, 100_000))
    (site_dir / "index-news__date=2020-5-4.html").write_text(
        f'<html><body><ul class="lsi">{links}</ul><div id="paginga"><div class="paging">{pager}</div></div></body></html>')
    with FixtureSite(tmp_path / "site") as running:
        run = run_crawl(tmp_path / "run", "-s", "NEWSCRAWL_MAX_LINKS_PER_PAGE=20", "-s", "NEWSCRAWL_MAX_INDEX_PAGES=2",
                        "-s", "DOWNLOAD_MAXSIZE=67108864",  # 17 MB: above the default refusal at 8 MB
                        "-a", f"urls={running.url(INDEX)}")
    assert run.returncode == 0, run.stderr
    assert run.stat("listings/links_capped") == 1 and run.stat("articles/discovered") == 20
    assert len(run.items()) == 20


# ---- round 2: politeness -----------------------------------------------------------------------

def test_robots_crawl_delay_is_obeyed_per_host_in_the_polite_profile(tmp_path):
    articles = build_site(tmp_path / "site", 4, pages_mix=(1,))
    (tmp_path / "site" / "www.tribunnews.com" / "robots.txt").write_text("User-agent: *\nCrawl-delay: 0.6\n")
    with FixtureSite(tmp_path / "site") as running:
        run = run_crawl(tmp_path / "run", "-a", "urls=" + ",".join(running.url(a.url) for a in articles))
        times = [t for u, t in zip(running.requests, running.times) if "/nasional/" in u]
    assert run.returncode == 0, run.stderr
    assert len(times) == 4 and run.stats["newscrawl/crawl_delay/127.0.0.1"] == 0.6
    gaps = [later - earlier for earlier, later in zip(times, times[1:])]
    assert min(gaps) >= 0.55  # the crawl's own FAST settings ask for no delay at all


def test_hosts_waiting_out_retry_after_never_hold_up_the_others(tmp_path):
    """Four hosts answer the first request of each of their 4 articles with 429 and
    Retry-After: 3; a fifth has 8 healthy articles. 16 waiting requests would fill Scrapy's
    CONCURRENT_REQUESTS (16): parked outside the downloader, they let the healthy host be
    crawled meanwhile, and no waiting host is asked again before its time."""
    waiting = [f"w{n}.tribunnews.com" for n in range(4)]
    articles = {host: build_site(tmp_path / "site", 4 if host in waiting else 8, host=host, pages_mix=(1,))
                for host in [*waiting, "sehat.tribunnews.com"]}
    faults = {a.url: [("retry-after", "3")] for host in waiting for a in articles[host]}
    with FixtureSite(tmp_path / "site", faults=faults) as site:
        urls = [site.url(a.url) for host in articles for a in articles[host]]
        run = run_crawl(tmp_path / "run", "-s", "CONCURRENT_REQUESTS=16", "-a", "urls=" + ",".join(urls))
        asked = list(zip(site.requests, site.times))
    assert run.returncode == 0, run.stderr
    assert len(run.items()) == 24 and run.stats["newscrawl/throttled/429"] == 16
    first_retry = min(t for n, (url, t) in enumerate(asked)
                      if any(url == u for u, _ in asked[:n]) and not url.endswith("robots.txt"))
    healthy = [t for url, t in asked if url.startswith("https://sehat.") and "/nasional/" in url]
    assert len(healthy) == 8 and max(healthy) < first_retry  # crawled while the others waited
    for host in waiting:
        times = [t for url, t in asked if url.startswith(f"https://{host}/nasional/")]
        refused_at = max(times[:4])  # its four 429s
        assert len(times) == 8 and min(times[4:]) >= refused_at + 3 - 0.05  # not before its time


def test_an_unreadable_date_on_a_page_is_counted_in_a_crawl(tmp_path):
    """JSON-LD saying "kemarin sore" (yesterday evening) for dateModified: null, counted, logged."""
    from tests.sitegen import write_article

    article = write_article(tmp_path / "site", 1, [["Paragraf pertama berita ini cukup panjang."]], title="Judul",
                            published="2024-05-01T10:00:00+07:00", modified="kemarin sore")
    with FixtureSite(tmp_path / "site") as site:
        run = run_crawl(tmp_path / "run", "-a", f"urls={site.url(article.url)}")
    assert run.returncode == 0, run.stderr
    [item] = run.items()
    assert item["updated_at"] is None and item["published_at"] == "2024-05-01T10:00:00+07:00"
    assert run.stat("normalize/unparseable_date/updated_at") == 1
    assert "updated_at 'kemarin sore' is not a date I can read; set to null" in run.stderr


def test_retries_after_the_shortest_waits_come_back_whole(site, tmp_path):
    """A wait of microseconds ends before the engine has let go of the first try: the
    request handed back is a copy, never the same object in flight twice (a traceback)."""
    site.faults[EMAS] = ["truncate", "reset", 500, "truncate"]
    run = run_crawl(tmp_path, "-s", "RETRY_TIMES=5", "-s", "NEWSCRAWL_RETRY_BACKOFF_BASE=0.0001",
                    "-a", f"urls={site.url(EMAS)}")
    assert run.returncode == 0, run.stderr
    assert "Traceback" not in run.stderr and len(run.items()) == 1
    assert run.stats["retry/count"] == 4  # whether a wait was still due when its retry came depends on the load


def test_a_wait_that_ends_at_once_hands_the_engine_a_copy():
    """The same case, made certain: the wait is over before the engine handles the parked try."""
    crawler = get_crawler()
    handed = []
    engine = SimpleNamespace(running=True, crawl=handed.append)

    async def park_then_release():
        waits = Waits(crawler)
        request = Request("http://127.0.0.1/a", meta={NOT_BEFORE: 0.0})
        with pytest.raises(Parked):
            waits.park(request, 0.0)
        assert handed == []  # not before the loop turns
        await asyncio.sleep(0)
        await asyncio.sleep(0)
        return request, waits

    with patch("newscrawl.crawl.waits.engine_of", return_value=engine):
        request, waits = asyncio.run(park_then_release())
    [copy] = handed
    assert copy is not request and copy.url == request.url and not waits.parked
