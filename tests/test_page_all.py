"""``?page=all``, proven before it is trusted (issue 32, item 1), end to end through the engine.

The fixture site serves each multi-page article's one-page view as docs/field-reference.md
section 8 assumes it (tests/sitegen.py ``write_page_all``): whole, disagreeing (its last
paragraph lost) or repeating page 1 (the site ignoring the parameter).
"""
from __future__ import annotations

import json
from pathlib import Path
from urllib.parse import urlsplit

from tests.conftest import archived_urls, run_crawl
from tests.fixture_site import FixtureSite
from tests.sitegen import build_site, index_url

MIX = (1, 4, 2, 4)  # of 16 articles: 8 of 4 pages, 4 of 2
RUN_FIELDS = ("crawled_at", "captured_at")  # the moment of each run


def record(item: dict) -> dict:
    return {k: v for k, v in item.items() if k not in RUN_FIELDS}


def report_of(run) -> dict:
    return json.loads(next((run.workdir / "output").rglob(f"*{run.stats['newscrawl/run']}.report.json")).read_text())


def crawl(workdir: Path, site: FixtureSite, *args: str, urls: list[str] | None = None):
    seeds = ",".join(site.url(u) for u in urls) if urls else site.url(index_url())
    run = run_crawl(workdir, "-a", f"urls={seeds}", *args)
    assert run.returncode == 0, run.stderr[-3000:]
    return run


def test_once_proven_a_multi_page_article_costs_two_requests_and_equals_the_paged_record(tmp_path):
    """Run 1 proves the view on the site's first three multi-page articles (both fetched,
    the texts equal); run 2 reads every other multi-page article from page 1 and ``?page=all``
    only, and each record equals the one paging gives, field for field. The archive keeps
    the views, and a replay of it gives the same records."""
    articles = build_site(tmp_path / "site", 16, pages_mix=MIX, page_all="whole")
    multi = [a for a in articles if len(a.pages) > 1]
    with FixtureSite(tmp_path / "site") as site:
        paged = crawl(tmp_path / "paged", site, "-s", "NEWSCRAWL_PAGE_ALL=off")
        first = crawl(tmp_path / "auto", site, urls=[a.url for a in multi[:3]])
        second = crawl(tmp_path / "auto", site)
    assert first.stat("page_all/proofs") == 3 and not first.stat("page_all/used")
    assert "?page=all gave the paged text of 3 articles" in first.stderr
    later = multi[3:]
    assert second.stat("page_all/used") == len(later) and not second.stat("page_all/fallbacks")
    assert second.stat("page_all/requests_saved") == sum(len(a.pages) - 2 for a in later)
    run2_urls = archived_urls(sorted((tmp_path / "auto" / "output").rglob(f"*{second.stats['newscrawl/run']}*.warc.gz"))[0])
    for article in later:  # page 1 and the view: two requests, whatever the page count
        path = urlsplit(article.url).path
        asked = sorted(urlsplit(u).query for u in run2_urls if urlsplit(u).path == path)
        assert asked == ["", "page=all"], (article.url, asked)
    by_url = {i["url"]: record(i) for i in paged.items()}
    items = [json.loads(line) for f in sorted((tmp_path / "auto" / "output").rglob("*.jsonl"))
             for line in f.read_text().splitlines()]
    assert len(items) == len(articles)
    for item in items:
        assert record(item) == by_url[item["url"]], item["url"]
    expected = {urlsplit(a.url).path: a.body for a in articles}
    assert all(i["body"] == expected[urlsplit(i["url"]).path] and i["complete"] for i in items)

    replay = run_crawl(tmp_path / "replay", "-a", f"archive={tmp_path / 'auto' / 'output'}")
    assert replay.returncode == 0, replay.stderr[-2000:]
    assert sorted(map(record, replay.items()), key=lambda i: i["url"]) == sorted(by_url.values(), key=lambda i: i["url"])
    assert replay.stat("page_all/used") == len(later)


def test_a_disagreeing_view_is_never_used_and_the_run_says_so(tmp_path):
    """The view loses the last paragraph: the first proof refuses it, once, with the URL;
    every record is the paged one; the next run remembers and never asks for the view."""
    articles = build_site(tmp_path / "site", 16, pages_mix=MIX, page_all="disagreeing")
    with FixtureSite(tmp_path / "site") as site:
        first = crawl(tmp_path / "auto", site, urls=[a.url for a in articles[:8]])
        second = crawl(tmp_path / "auto", site)
    assert not first.stat("page_all/used") and not first.stat("page_all/proofs")
    [refused] = first.stats["newscrawl/page_all/refused"]
    site_name, _, why = refused.partition(": ")
    assert why.startswith(f"http://{site_name}/nasional/") and why.endswith(": its text differs from the pages' merged text")
    assert first.stderr.count("not using ?page=all") == 1
    assert any(w == f"?page=all is not used on {refused}" for w in report_of(first)["warnings"])
    run2 = archived_urls(sorted((tmp_path / "auto" / "output").rglob(f"*{second.stats['newscrawl/run']}*.warc.gz"))[0])
    assert run2 and not [u for u in run2 if "page=all" in u]
    assert not second.stats.get("newscrawl/page_all/refused")  # said in the run that found it
    expected = {urlsplit(a.url).path: a.body for a in articles}
    items = [json.loads(line) for f in sorted((tmp_path / "auto" / "output").rglob("*.jsonl"))
             for line in f.read_text().splitlines()]
    assert len(items) == len(articles)
    assert all(i["body"] == expected[urlsplit(i["url"]).path] and i["complete"] for i in items)


def test_a_view_that_repeats_page_1_falls_back_to_paging(tmp_path):
    """``NEWSCRAWL_PAGE_ALL=on`` on a site that ignores the parameter: each view still
    announces its pages, so each article is paged after it, complete; ``auto`` refuses the
    site at its first proof, naming the pager."""
    articles = build_site(tmp_path / "site", 8, pages_mix=MIX, page_all="page1")
    multi = [a for a in articles if len(a.pages) > 1]
    with FixtureSite(tmp_path / "site") as site:
        on = crawl(tmp_path / "on", site, "-s", "NEWSCRAWL_PAGE_ALL=on")
        auto = crawl(tmp_path / "auto", site, urls=[multi[0].url])
    assert on.stat("page_all/fallbacks") == len(multi) and not on.stat("page_all/used")
    expected = {urlsplit(a.url).path: a.body for a in articles}
    assert all(i["body"] == expected[urlsplit(i["url"]).path] and i["complete"] for i in on.items())
    assert f"{urlsplit(multi[0].url).path}: ?page=all its pager still announces" in on.stderr
    [refused] = auto.stats["newscrawl/page_all/refused"]
    assert refused.endswith(f": its pager still announces {len(multi[0].pages)} pages")
