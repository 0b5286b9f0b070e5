"""``?page=all``, proven before it is trusted (issue 32, item 1), end to end through the engine.

The fixture site serves each multi-page article's one-page view as docs/field-reference.md
section 8 assumes it (tests/sitegen.py ``write_page_all``): whole, disagreeing (its last
paragraph lost) or repeating page 1 (the site ignoring the parameter).
"""
from __future__ import annotations

import json
from pathlib import Path
from urllib.parse import urlsplit

from warcio.archiveiterator import ArchiveIterator
from warcio.warcwriter import WARCWriter

from tests.conftest import archived_urls, finalized_items, run_crawl
from tests.fixture_site import FixtureSite
from tests.sitegen import build_site, index_url

MIX = (1, 4, 2, 4)  # of 16 articles: 8 of 4 pages, 4 of 2
RUN_FIELDS = ("crawled_at", "captured_at")  # the moment of each run


def record(item: dict) -> dict:
    return {k: v for k, v in item.items() if k not in RUN_FIELDS}


def whole(items: list[dict], articles: list) -> bool:
    """Every record holds the whole text a reader sees across its article's pages, complete."""
    expected = {urlsplit(a.url).path: a.body for a in articles}
    return all(i["body"] == expected[urlsplit(i["url"]).path] and i["complete"] for i in items)


def report_of(run) -> dict:
    return json.loads(next((run.workdir / "output").rglob(f"*{run.stats['newscrawl/run']}.report.json")).read_text())


def crawl(workdir: Path, site: FixtureSite, *args: str, urls: list[str] | None = None):
    """A crawl with the default ``NEWSCRAWL_PAGE_ALL=auto`` (the suite's crawls turn it off)
    unless ``args`` say otherwise."""
    seeds = ",".join(site.url(u) for u in urls) if urls else site.url(index_url())
    run = run_crawl(workdir, "-a", f"urls={seeds}", "-s", "NEWSCRAWL_PAGE_ALL=auto", *args)
    assert run.returncode == 0, run.stderr[-3000:]
    return run


def asked(run, article) -> list[str]:
    """The queries of the article's requests in this run (its archive's records)."""
    archive = sorted((run.workdir / "output").rglob(f"*{run.stats['newscrawl/run']}*.warc.gz"))[0]
    path = urlsplit(article.url).path
    return sorted(urlsplit(u).query for u in archived_urls(archive) if urlsplit(u).path == path)


def test_once_proven_a_multi_page_article_costs_two_requests_and_equals_the_paged_record(tmp_path):
    """Run 1 proves the view on the site's first three multi-page articles (both fetched, the
    texts equal), while the others wait, then reads those from page 1 and ``?page=all`` only;
    run 2, on articles added since, starts from the proof the store kept. Each record equals
    the one paging gives, field for field. The archive keeps the views, and a replay of it
    gives the same records."""
    build_site(tmp_path / "site", 16, pages_mix=MIX, page_all="whole")
    with FixtureSite(tmp_path / "site") as site:
        first = crawl(tmp_path / "auto", site)
        articles = build_site(tmp_path / "site", 20, pages_mix=MIX, page_all="whole")  # 4 more
        second = crawl(tmp_path / "auto", site)
        paged = crawl(tmp_path / "paged", site, "-s", "NEWSCRAWL_PAGE_ALL=off")
    multi = [a for a in articles[:16] if len(a.pages) > 1]
    assert first.stat("page_all/proofs") == 3 and first.stat("page_all/used") == len(multi) - 3
    assert "?page=all gave the paged text of 3 articles" in first.stderr
    proofs = [a for a in multi if len(asked(first, a)) > 2]
    assert [asked(first, a) for a in proofs] == [["", *(f"page={n}" for n in range(2, len(a.pages) + 1)), "page=all"]
                                               for a in proofs]
    for article in (a for a in multi if a not in proofs):  # page 1 and the view, whatever the page count
        assert asked(first, article) == ["", "page=all"], article.url
    later = [a for a in articles[16:] if len(a.pages) > 1]
    assert not second.stat("page_all/proofs") and second.stat("page_all/used") == len(later)
    assert second.stat("page_all/requests_saved") == sum(len(a.pages) - 2 for a in later)
    assert all(asked(second, a) == ["", "page=all"] for a in later)
    by_url = {i["url"]: record(i) for i in paged.items()}
    items = finalized_items(tmp_path / "auto")
    assert len(items) == len(articles)
    for item in items:
        assert record(item) == by_url[item["url"]], item["url"]
    assert whole(items, articles)

    replay = run_crawl(tmp_path / "replay", "-a", f"archive={tmp_path / 'auto' / 'output'}")
    assert replay.returncode == 0, replay.stderr[-2000:]
    assert sorted(map(record, replay.items()), key=lambda i: i["url"]) == sorted(by_url.values(), key=lambda i: i["url"])
    assert replay.stat("page_all/used") == len(multi) - 3 + len(later)

    # An archive holding only the one-page views (and the warcinfo that puts the test
    # server's host in scope): each replays whole.
    other = tmp_path / "other" / "views.warc.gz"
    other.parent.mkdir()
    with other.open("wb") as out, open(sorted((tmp_path / "auto" / "output").rglob("*.warc.gz"))[-1], "rb") as run2:
        writer = WARCWriter(out, gzip=True)
        for kept in ArchiveIterator(run2):
            if kept.rec_type == "warcinfo" or (kept.rec_type == "response" and kept.rec_headers.get_header(
                    "WARC-Target-URI").endswith("?page=all")):
                writer.write_record(kept)
    views = run_crawl(tmp_path / "views", "-a", f"archive={other.parent}")
    assert views.returncode == 0, views.stderr[-2000:]
    assert sorted((urlsplit(i["url"]).path, i["body"], i["complete"]) for i in views.items()) == sorted(
        (urlsplit(a.url).path, a.body, True) for a in later)  # the second run's archive


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
    items = finalized_items(tmp_path / "auto")
    assert len(items) == len(articles)
    assert whole(items, articles)


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
    assert whole(on.items(), articles)
    assert f"{urlsplit(multi[0].url).path}: ?page=all does not look whole (its pager still announces" in on.stderr
    [refused] = auto.stats["newscrawl/page_all/refused"]
    assert refused.endswith(f": its pager still announces {len(multi[0].pages)} pages")


def test_a_site_without_the_view_is_refused_once_and_paged(tmp_path):
    """``?page=all`` answers 404 (a site that stopped serving it): the proof refuses the site
    with the status, the run says so in its report and stays ok, the articles are paged."""
    articles = build_site(tmp_path / "site", 4, pages_mix=MIX)
    with FixtureSite(tmp_path / "site") as site:
        run = crawl(tmp_path / "auto", site)
    [refused] = run.stats["newscrawl/page_all/refused"]
    assert refused.endswith(": it answered HTTP 404")
    report = report_of(run)
    assert report["verdict"] == "ok" and f"?page=all is not used on {refused}" in report["warnings"]
    assert whole(run.items(), articles)
