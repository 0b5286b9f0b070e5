"""An edge that will not give the pages, end to end: challenge pages served in their place
(AWS WAF, Cloudflare; status 200, 202 or 403; on articles, sitemaps and index pages) and
refused articles are never `ok`, whatever the number of articles, the first-run check
included."""
from __future__ import annotations

import json

import pytest

from tests.conftest import run_crawl
from tests.fixture_site import FixtureSite
from tests.sitegen import build_site, index_url

WWW = "https://www.tribunnews.com"
SITEMAP = f"{WWW}/sitemap-2026.xml"
NEWS_SITEMAP = f"{WWW}/nasional/sitemap-news-2026.xml"
ARTICLES = [f"{WWW}/nasional/7801234/dpr-sahkan-ruu-perampasan-aset-menjadi-undang-undang",
            f"{WWW}/internasional/2026/07/24/jepang-dan-korea-selatan-sepakati-latihan-militer-bersama",
            f"{WWW}/bisnis/7801890/strategi-investasi-emas-di-tengah-suku-bunga-tinggi"]


def report_of(path) -> dict:
    return json.loads(path.read_text())


@pytest.mark.parametrize("fault, edge", [(("aws-waf", 200), "AWS WAF"), (("aws-waf", 202), "AWS WAF"),
                                         (("aws-waf", 403), "AWS WAF"), (("cloudflare", 403), "Cloudflare"),
                                         (("cloudflare", 200), "Cloudflare")],
                         ids=["aws-200", "aws-202", "aws-403", "cloudflare-403", "cloudflare-200"])
def test_the_first_run_check_on_challenged_articles_is_blocked(tmp_path, fault, edge):
    with FixtureSite(faults={url: fault for url in ARTICLES}) as site:
        run = run_crawl(tmp_path, "-s", "CLOSESPIDER_ITEMCOUNT=3", "-O", "check.jsonl",
                        "-a", f"urls={site.url(SITEMAP)}")
    assert run.returncode == 5, run.stderr
    assert run.stats["newscrawl/verdict"] == "blocked"
    assert run.stat("challenged") == 3 and run.stat("challenged/article") == 3
    assert "newscrawl/dropped/invalid" not in run.stats  # never taken for the site's pages
    report = report_of(tmp_path / "check.report.json")
    [problem] = report["problems"]
    assert f"the {edge} edge served a challenge page instead of 3 page(s) (article: 3)" in problem
    assert "BLOCKED (exit status 5)" in run.stderr
    assert (tmp_path / "check.jsonl").read_text() == ""


def test_many_challenged_articles_are_blocked_not_a_changed_site(tmp_path):
    build_site(tmp_path / "site", 8, pages_mix=(1,))
    articles = [f"{WWW}/nasional/{8000000 + n}/artikel-nomor-{n}" for n in range(8)]
    with FixtureSite(tmp_path / "site", faults={u: ("aws-waf", 200) for u in articles}) as site:
        run = run_crawl(tmp_path / "run", "-a", f"urls={site.url(index_url())}")
    assert run.returncode == 5, run.stderr
    assert run.stats["newscrawl/verdict"] == "blocked"
    assert "has the page markup changed" not in run.stderr


@pytest.mark.parametrize("where", ["sitemap", "index page"])
def test_a_challenged_entry_point_is_blocked_not_a_working_one(tmp_path, where):
    if where == "sitemap":
        with FixtureSite(faults={SITEMAP: ("aws-waf", 200)}) as site:
            run = run_crawl(tmp_path, "-a", f"urls={site.url(SITEMAP)}")
    else:
        build_site(tmp_path / "site", 4, pages_mix=(1,))
        with FixtureSite(tmp_path / "site", faults={index_url(): ("cloudflare", 403)}) as site:
            run = run_crawl(tmp_path / "run", "-a", f"urls={site.url(index_url())}")
    assert run.returncode == 5, run.stderr
    assert run.stat("entry_points/failed") == 1 and run.stat("entry_points/ok") == 0
    assert run.stat("challenged/" + ("sitemap" if where == "sitemap" else "listing")) == 1
    assert "BLOCKED (exit status 5)" in run.stderr


def test_a_page_that_is_no_sitemap_is_no_working_entry_point(tmp_path):
    build_site(tmp_path / "plain", 2, pages_mix=(1,))
    (tmp_path / "plain" / "www.tribunnews.com" / "sitemap-x.xml").write_text(
        "<html><body><h1>Maaf, halaman sedang dalam perbaikan</h1></body></html>")
    with FixtureSite(tmp_path / "plain") as site:
        run = run_crawl(tmp_path / "run", "-a", f"urls={site.url(WWW + '/sitemap-x.xml')}")
    assert run.returncode == 4, run.stderr
    assert run.stat("sitemaps/invalid") == 1 and run.stat("entry_points/failed") == 1
    assert "every entry point failed (1 of 1" in run.stderr


def test_one_challenge_among_many_pages_is_a_reported_warning(tmp_path):
    build_site(tmp_path / "site", 12, pages_mix=(1,))
    with FixtureSite(tmp_path / "site", faults={f"{WWW}/nasional/8000003/artikel-nomor-3": ("aws-waf", 202)}) as site:
        run = run_crawl(tmp_path / "run", "-a", f"urls={site.url(index_url())}")
    assert run.returncode == 0, run.stderr
    assert len(run.items()) == 11
    [report] = (tmp_path / "run" / "output").rglob("*.report.json")
    report = report_of(report)
    assert report["verdict"] == "ok"
    assert any("AWS WAF edge served a challenge page instead of 1 page(s)" in w for w in report["warnings"])
    assert "warning: the AWS WAF edge" in run.stderr


def test_every_article_refused_while_the_sitemap_works_is_blocked(tmp_path):
    with FixtureSite(faults={url: 403 for url in ARTICLES}) as site:
        run = run_crawl(tmp_path, "-a", f"urls={site.url(SITEMAP)}")
    assert run.returncode == 5, run.stderr
    assert run.stats["newscrawl/verdict"] == "blocked"
    assert run.stat("refused/article") == 3
    assert "3 of 3 articles were refused (HTTP 403: 3)" in run.stderr
    assert "BLOCKED (exit status 5)" in run.stderr


def test_an_edge_refusing_the_default_user_agent_is_not_told_to_use_it(tmp_path):
    with FixtureSite(faults={url: "edge-403" for url in ARTICLES}) as site:
        run = run_crawl(tmp_path, "-a", f"urls={site.url(SITEMAP)}")
    assert run.returncode == 5, run.stderr
    [problem] = [line for line in run.stderr.splitlines() if "problem:" in line]
    assert "Run with the default USER_AGENT" not in problem
    assert "CloudFront edge answered 403 to newscrawl's default, browser-shaped User-Agent" in problem
    assert "from another network" in problem
