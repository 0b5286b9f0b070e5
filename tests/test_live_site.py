"""The live site in 2026 (docs/field-reference.md section 7), end to end through the real engine:
an edge that refuses non-browser User-Agents, refused runs that must not say ok, the
first-run check, the template drift alarm, premium and dated-URL articles."""
from __future__ import annotations

import json
import re

import pytest

from tests.conftest import run_crawl
from tests.fixture_site import FixtureSite, browser_shaped
from tests.sitegen import build_site, index_url

WWW = "https://www.tribunnews.com"
DPR = f"{WWW}/nasional/7801234/dpr-sahkan-ruu-perampasan-aset-menjadi-undang-undang"
JEPANG = f"{WWW}/internasional/2026/07/24/jepang-dan-korea-selatan-sepakati-latihan-militer-bersama"
EMAS = f"{WWW}/bisnis/7801890/strategi-investasi-emas-di-tengah-suku-bunga-tinggi"
SITEMAP = f"{WWW}/sitemap-2026.xml"


@pytest.fixture
def edge():
    with FixtureSite(edge=True) as running:
        yield running


def report_of(run) -> dict:
    [path] = (run.workdir / "output").rglob("*.report.json")
    return json.loads(path.read_text())


def test_the_default_settings_get_through_the_edge_and_say_who_they_are(edge, tmp_path):
    run = run_crawl(tmp_path, "-a", f"urls={edge.url(SITEMAP)}")
    assert run.returncode == 0, run.stderr
    items = {item["url"]: item for item in run.items()}
    assert sorted(items) == sorted(edge.url(u) for u in (DPR, JEPANG, EMAS))
    assert edge.refused == 0 and f"{WWW}/robots.txt" in edge.requests  # robots.txt still read
    assert all(browser_shaped(a) and re.search(r" newscrawl/\d+\.\d+", a) for a in edge.agents)
    assert all("bot" not in a.lower() for a in edge.agents)
    # The 2026 shapes: a two-page article with its id in the URL, a dated URL whose id is
    # in the share widget, a premium article exported with its teaser, never complete.
    dpr, jepang, emas = items[edge.url(DPR)], items[edge.url(JEPANG)], items[edge.url(EMAS)]
    assert (dpr["article_id"], dpr["page_count"], dpr["complete"], dpr["free_access"]) == ("7801234", 2, True, True)
    assert dpr["body"].endswith("ujarnya di Kompleks Parlemen.")
    assert (jepang["article_id"], jepang["free_access"], jepang["complete"]) == ("7801567", True, True)
    assert (emas["free_access"], emas["complete"]) == (False, False)
    assert emas["body"].endswith("menyiapkan dana jangka panjang.") and "Berlangganan" not in emas["body"]
    assert run.stat("articles/premium") == 1 and run.stat("articles/incomplete") == 0
    report = report_of(run)
    assert report["verdict"] == "ok" and report["counts"]["premium"] == 1
    assert "premium (teaser only, complete: false) 1" in run.stderr


def test_a_contact_is_appended_to_the_default_user_agent(edge, tmp_path):
    run = run_crawl(tmp_path, "-s", "NEWSCRAWL_CONTACT=mailto:data@example.org",
                    "-a", f"urls={edge.url(EMAS)}")
    assert run.returncode == 0, run.stderr
    assert edge.agents and all(a.endswith(" (+mailto:data@example.org)") for a in edge.agents)


REFUSED = "Mozilla/5.0 (compatible; NewsBot/1.0)"


@pytest.mark.parametrize("agent, urls, requests", [
    ("SomeCrawler/0.1", [SITEMAP], 2),  # robots.txt and the sitemap
    (REFUSED, [DPR, JEPANG], 3),  # robots.txt and two articles
    ("curl/8.5.0", [f"{WWW}/nasional/{7700000 + n}/artikel-{n}" for n in range(49)], 50),
], ids=["2 requests", "3 requests", "50 requests"])
def test_a_refused_run_is_blocked_whatever_its_size(edge, tmp_path, agent, urls, requests):
    run = run_crawl(tmp_path, "-s", f"USER_AGENT={agent}", "-s", "NEWSCRAWL_BLOCKED_AFTER=1000",
                    "-a", "urls=" + ",".join(edge.url(u) for u in urls))
    assert run.returncode == 5, run.stderr
    assert run.stats["downloader/request_count"] == requests == edge.refused
    assert run.stats["newscrawl/verdict"] == "blocked"
    [problem] = [line for line in run.stderr.splitlines() if "problem:" in line]
    assert f"{requests} of {requests} requests failed (HTTP 403: {requests})" in problem
    assert f"every entry point failed ({len(urls)} of {len(urls)}" in problem
    assert f"the CloudFront edge answered 403 to the User-Agent {agent!r}" in problem
    assert "BLOCKED (exit status 5)" in run.stderr
    assert not list((tmp_path / "output").rglob("*.jsonl"))


def test_a_run_whose_every_entry_point_is_missing_fails(edge, tmp_path):
    """Entry points that answer 404 (a sitemap that moved): nothing to crawl is not ok."""
    run = run_crawl(tmp_path, "-a", f"urls={edge.url(WWW + '/sitemap-moved.xml')}")
    assert run.returncode == 4, run.stderr
    assert "every entry point failed (1 of 1" in run.stderr and "FAILED (exit status 4)" in run.stderr


def test_first_run_check_stops_early_says_ok_and_names_the_fields_it_found(edge, tmp_path):
    run = run_crawl(tmp_path, "-s", "CLOSESPIDER_ITEMCOUNT=2", "-O", "check.jsonl",
                    "-a", f"urls={edge.url(SITEMAP)}", fast=False, timeout=90)
    assert run.returncode == 0, run.stderr
    assert run.stats["finish_reason"] == "closespider_itemcount"
    lines = (tmp_path / "check.jsonl").read_text().splitlines()
    assert len(lines) >= 2
    report = json.loads((tmp_path / "check.report.json").read_text())
    assert report["verdict"] == "ok" and report["problems"] == []
    [found] = [line for line in run.stderr.splitlines() if "fields found:" in line]
    assert "title" in found.split("never found:")[0] and "body" in found.split("never found:")[0]
    assert "duplicate_of" in found.split("never found:")[1]


def test_an_index_page_repeating_earlier_pages_in_another_order_ends_the_paging(site, tmp_path):
    run = run_crawl(tmp_path, "-a", f"urls={site.url(WWW + '/index-news?date=2026-7-24')}")
    assert run.returncode == 0, run.stderr
    assert len(run.items()) == 3
    assert run.stat("listings/repeated") == 1
    assert not any("page=4" in url for url in site.requests)


def _drop_credits(root) -> None:
    """The markup change: credits vanish from the pages (the byline box and JSON-LD author)."""
    for page in root.rglob("artikel-nomor-*.html"):
        html = page.read_text()
        html = re.sub(r'<h5 id="penulis">.*?</h5>', "", html)
        html = re.sub(r'"author":\[.*?\],', "", html)
        page.write_text(html)


def test_credits_that_vanish_after_two_good_runs_raise_the_drift_alarm(tmp_path):
    build_site(tmp_path / "site", 24, pages_mix=(1,))
    with FixtureSite(tmp_path / "site") as site:
        crawl = ("-s", f"NEWSCRAWL_STATE_DIR={tmp_path / 'state'}", "-s", "NEWSCRAWL_INCREMENTAL=0",
                 "-s", "NEWSCRAWL_ARCHIVE=0", "-a", f"urls={site.url(index_url())}")
        first, second = run_crawl(tmp_path / "r1", *crawl), run_crawl(tmp_path / "r2", *crawl)
        _drop_credits(tmp_path / "site")
        third = run_crawl(tmp_path / "r3", *crawl)
    for quiet in (first, second):
        assert quiet.returncode == 0, quiet.stderr
        assert len(quiet.items()) == 24 and report_of(quiet)["verdict"] == "ok"
    assert third.returncode == 3, third.stderr
    assert len(third.items()) == 24  # exported all the same: the alarm is the verdict
    report = report_of(third)
    host = site.base("www.tribunnews.com").split("//")[1]
    assert report["verdict"] == "site_changed"
    assert (f"authors found in 0% of 24 articles on {host}, against 100% in the 2 runs before: "
            "has the page markup changed?") in report["problems"]
    assert any(p.startswith("editor found in 0%") for p in report["problems"])
    # Only what vanished: the fields that stayed are not named.
    assert not any(p.startswith(("title ", "body ", "tags ")) for p in report["problems"])
    assert "SITE_CHANGED (exit status 3)" in third.stderr
    history = (tmp_path / "state" / "coverage.ndjson").read_text().splitlines()
    assert len(history) == 3


def test_a_pager_that_vanishes_raises_the_drift_alarm_for_two_runs_naming_paging(tmp_path):
    """The pager's markup is what changed between 2020 and 2026: without it every article
    comes out as one page, complete, and only the share of multi-page articles and the
    words per article show it. The alarm fires for two runs, then the change is the norm."""
    build_site(tmp_path / "site", 24, pages_mix=(2, 3))
    with FixtureSite(tmp_path / "site") as site:
        crawl = ("-s", f"NEWSCRAWL_STATE_DIR={tmp_path / 'state'}", "-s", "NEWSCRAWL_INCREMENTAL=0",
                 "-s", "NEWSCRAWL_ARCHIVE=0", "-a", f"urls={site.url(index_url())}")
        healthy = [run_crawl(tmp_path / f"r{n}", *crawl) for n in (1, 2)]
        for page in (tmp_path / "site").rglob("artikel-nomor-*.html"):
            page.write_text(re.sub(r'<div class="paging">.*?</div></div></div>', "", page.read_text()))
        drifted = [run_crawl(tmp_path / f"r{n}", *crawl) for n in (3, 4, 5)]
    for run in healthy:
        assert run.returncode == 0, run.stderr
        assert all(item["page_count"] > 1 for item in run.items())
    third, fourth, fifth = drifted
    assert all(item["page_count"] == 1 and item["complete"] for item in third.items())  # it looks whole
    host = site.base("www.tribunnews.com").split("//")[1]
    for alarmed in (third, fourth):
        assert alarmed.returncode == 3, alarmed.stderr
        [problem] = report_of(alarmed)["problems"]
        assert problem.startswith(f"paging: 0% of 24 articles on {host} had several pages")
        assert "against 100% and" in problem and "Has the paging markup changed?" in problem
    assert fifth.returncode == 0, fifth.stderr  # two runs said it: the change is the new normal


def test_the_first_run_check_leaves_the_cron_runs_articles_alone(site, tmp_path):
    """-O check.jsonl keeps its own record of exports: the cron run that follows exports
    every article into output/tribun/, where a dataset is built from."""
    check = run_crawl(tmp_path, "-s", "CLOSESPIDER_ITEMCOUNT=2", "-O", "check.jsonl", "-a", f"urls={site.url(SITEMAP)}")
    assert check.returncode == 0, check.stderr
    checked = len((tmp_path / "check.jsonl").read_text().splitlines())
    assert checked >= 2
    cron = run_crawl(tmp_path, "-a", f"urls={site.url(SITEMAP)}")
    assert cron.returncode == 0, cron.stderr
    assert len(cron.items()) == 3 and cron.stat("articles/known") == 0
    again = run_crawl(tmp_path, "-o", "check.jsonl", "-a", f"urls={site.url(SITEMAP)}")  # the check's own record
    assert again.stat("articles/known") == checked
    cron_again = run_crawl(tmp_path, "-a", f"urls={site.url(SITEMAP)}")
    assert cron_again.stat("articles/known") == 3  # and the cron run's own, still incremental


def test_an_output_file_written_with_the_shared_store_goes_on_with_it(site, tmp_path):
    """A cron job with -o all.jsonl from before outputs kept their own record: it stays incremental."""
    first = run_crawl(tmp_path, "-a", f"urls={site.url(SITEMAP)}")  # the shared store holds the 3 articles
    assert first.returncode == 0, first.stderr
    (tmp_path / "all.jsonl").write_bytes(first.feed_files()[0].read_bytes())
    run = run_crawl(tmp_path, "-o", "all.jsonl", "-a", f"urls={site.url(SITEMAP)}")
    assert run.returncode == 0, run.stderr
    assert run.stat("articles/known") == 3 and len((tmp_path / "all.jsonl").read_text().splitlines()) == 3
    assert not (tmp_path / ".newscrawl" / "outputs").exists()


def test_cron_sized_runs_are_judged_in_a_rolling_window(tmp_path):
    """Runs of 5 articles (a 15-minute cron run's) are too few to judge alone: after eight
    healthy ones, runs that lose the credits raise the alarm by the fourth of them, which
    names the runs of its window; the healthy small runs never did."""
    build_site(tmp_path / "site", 5, pages_mix=(1,))
    with FixtureSite(tmp_path / "site") as site:
        crawl = ("-s", f"NEWSCRAWL_STATE_DIR={tmp_path / 'state'}", "-s", "NEWSCRAWL_INCREMENTAL=0",
                 "-s", "NEWSCRAWL_ARCHIVE=0", "-a", f"urls={site.url(index_url())}")
        healthy = run_crawl(tmp_path / "r0", *crawl)
        history = tmp_path / "state" / "coverage.ndjson"
        history.write_text(history.read_text() * 8)  # eight healthy runs of 5 articles, as cron made them
        _drop_credits(tmp_path / "site")
        runs = [run_crawl(tmp_path / f"r{n}", *crawl) for n in range(1, 5)]
    assert healthy.returncode == 0 and report_of(healthy)["verdict"] == "ok", healthy.stderr
    verdicts = [report_of(run)["verdict"] for run in runs]
    # The third's window still holds a healthy run, and leaves one block of healthy runs
    # (20 articles) for the baseline, which needs two: the fourth judges.
    assert verdicts == ["ok", "ok", "ok", "site_changed"] and all(len(run.items()) == 5 for run in runs)
    assert runs[3].returncode == 3
    host = site.base("www.tribunnews.com").split("//")[1]
    assert (f"authors found in 0% of 20 articles on {host} (this run and the 3 before it), against 100% in the 8 "
            "runs before: has the page markup changed?") in report_of(runs[3])["problems"]
