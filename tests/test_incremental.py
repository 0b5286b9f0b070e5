"""Dedup end to end: URL variants, a second run on the same state dir, syndicated copies."""
from __future__ import annotations

import csv
import json
import sys

import pyarrow.parquet as pq
import pytest

from tests.conftest import forked, run_crawl

INDEX = "https://www.tribunnews.com/index-news?date=2020-5-4"
PSBB = "https://www.tribunnews.com/nasional/2020/05/04/pemerintah-perpanjang-psbb-jakarta-hingga-akhir-mei"
COPY = "https://surabaya.tribunnews.com/2020/05/04/pemerintah-perpanjang-psbb-jakarta-hingga-akhir-mei"
EMAS = "https://www.tribunnews.com/bisnis/2020/05/04/harga-emas-antam-naik"


def test_a_second_run_exports_nothing_new_and_fetches_no_known_article(site, tmp_path):
    first = run_crawl(tmp_path, "-a", f"urls={site.url(INDEX)}")
    assert len(first.items()) == 4 and first.stat("state/recorded") == 4
    articles_fetched = [u for u in site.requests if "index-news" not in u and "robots" not in u]
    assert len(articles_fetched) == 6  # 4 articles, PSBB has 3 pages
    site.requests.clear()

    second = run_crawl(tmp_path, "-a", f"urls={site.url(INDEX)}")
    assert second.returncode == 0, second.stderr
    assert second.feed_files() == first.feed_files()  # no new (and no empty) file
    assert second.stat("articles/known") == 4 and second.stats.get("item_scraped_count", 0) == 0
    assert [u for u in site.requests if "index-news" not in u and "robots" not in u] == []
    assert second.stats["downloader/request_count"] == 4  # robots.txt + 3 index pages


def test_incremental_off_fetches_and_exports_again(site, tmp_path):
    run_crawl(tmp_path, "-a", f"urls={site.url(EMAS)}")
    again = run_crawl(tmp_path, "-s", "NEWSCRAWL_INCREMENTAL=0", "-a", f"urls={site.url(EMAS)}")
    assert len(again.feed_files()) == 2 and again.stat("articles/known") == 0


def test_a_syndicated_copy_on_another_site_is_marked_across_runs(site, tmp_path):
    original = run_crawl(tmp_path, "-a", f"urls={site.url(PSBB)}")
    [first] = original.items()
    copy_run = run_crawl(tmp_path, "-a", f"urls={site.url(COPY)}")
    assert copy_run.returncode == 0, copy_run.stderr
    newest = copy_run.feed_files()[-1]
    [copy] = map(json.loads, newest.read_text().splitlines())
    assert copy["url"] == site.url(COPY) and copy["duplicate_of"] == first["url"]
    assert copy["source"] == "Tribunnews.com"
    assert copy_run.stat("near_duplicates") == 1


def test_a_dropped_article_is_one_info_line_and_the_crawl_goes_on(site, tmp_path):
    run_crawl(tmp_path, "-a", f"urls={site.url(PSBB)}")
    copy_run = run_crawl(tmp_path, "-s", "NEWSCRAWL_NEAR_DUPLICATES=drop", "-a",
                         f"urls={site.url(COPY)},{site.url(EMAS)}")
    [line] = [line for line in copy_run.stderr.splitlines() if "Dropped:" in line]
    assert "INFO: Dropped: " in line and "near duplicate of" in line
    assert "Pemprov DKI" not in copy_run.stderr  # the body is not logged
    exported = map(json.loads, copy_run.feed_files()[-1].read_text().splitlines())
    assert [item["url"] for item in exported] == [site.url(EMAS)]  # the copy left out
    assert copy_run.stat("dropped/near_duplicate") == 1


def test_the_original_is_never_called_a_copy_of_its_earlier_crawled_republication(site, tmp_path):
    # Surabaya republished the 04:25 www article at 06:02 ("Artikel ini telah tayang di
    # Tribunnews.com"); the crawl meets the republication first, the original a run later.
    run_crawl(tmp_path, "-a", f"urls={site.url(COPY)}")
    later = run_crawl(tmp_path, "-s", "NEWSCRAWL_NEAR_DUPLICATES=drop", "-a", f"urls={site.url(PSBB)}")
    assert later.returncode == 0, later.stderr
    [original] = map(json.loads, later.feed_files()[-1].read_text().splitlines())
    assert original["url"] == site.url(PSBB) and original["duplicate_of"] is None  # not dropped
    assert later.stat("near_duplicates/original_after_copy") == 1 and later.stat("dropped/near_duplicate") == 0
    # The first run's file is final; the later run's report says what it found, and a dataset
    # built from both runs marks the copy (docs/datasets.md), or leaves it out.
    report = json.loads((tmp_path / later.stats["newscrawl/report_file"]).read_text())
    assert report["copies_of_earlier_runs"] == {site.url(COPY): site.url(PSBB)}
    output = tmp_path / "output" / "tribun"
    for options, expected in (((), {site.url(COPY): site.url(PSBB), site.url(PSBB): None}),
                              (("--drop-copies",), {site.url(PSBB): None})):
        dataset = tmp_path / f"dataset{len(options)}"
        done = forked([sys.executable, "-m", "newscrawl.dataset", str(output), str(dataset), *options], tmp_path, 120)
        assert done.returncode == 0, done.stderr
        rows = pq.read_table(sorted((dataset / "articles").rglob("*.parquet"))).to_pylist()
        assert {r["url"]: r["duplicate_of"] for r in rows} == expected


@pytest.mark.parametrize("mode", ["mark", "drop"])
@pytest.mark.parametrize("first", ["copy", "original"])
def test_within_one_run_the_copy_points_at_the_original_whichever_came_first(site, tmp_path, mode, first):
    """Surabaya's republication (06:02) and the www original (04:25) in one run, in both
    orders (a 429 with Retry-After: 3 holds the other one back): the copy points at the
    original (mark) or is left out (drop), in the JSONL and the CSV alike."""
    held = f"{PSBB}?page=3" if first == "copy" else COPY
    site.faults[held] = [("retry-after", 3)]
    run = run_crawl(tmp_path, "-s", f"NEWSCRAWL_NEAR_DUPLICATES={mode}", "-s", "NEWSCRAWL_CSV_FEED=1",
                    "-a", f"urls={site.url(COPY)},{site.url(PSBB)}")
    assert run.returncode == 0, run.stderr
    order = [u for u in site.requests if u in (COPY, f"{PSBB}?page=3")]
    # The held page was asked twice, and its retry came after the other article's last page:
    # the other article was exported first, whatever order the two first requests went in.
    assert order.count(held) == 2 and order[-1] == held and len(order) == 3
    items = {item["url"]: item for item in run.items()}
    [table] = (tmp_path / "output").rglob("*.csv")
    rows = {row["url"]: row for row in csv.DictReader(table.open(encoding="utf-8-sig"))}
    assert items[site.url(PSBB)]["duplicate_of"] is None and rows[site.url(PSBB)]["duplicate_of"] == ""
    if mode == "mark":
        assert items[site.url(COPY)]["duplicate_of"] == site.url(PSBB)
        assert rows[site.url(COPY)]["duplicate_of"] == site.url(PSBB)
        assert run.stat("near_duplicates") == 1 and run.stats["item_scraped_count"] == 2
    else:
        assert site.url(COPY) not in items and site.url(COPY) not in rows
        assert run.stat("dropped/near_duplicate") == 1 and run.stats["item_scraped_count"] == 1
    assert run.stat("near_duplicates/original_after_copy") == 0
    report = json.loads(next((tmp_path / "output").rglob("*.report.json")).read_text())
    assert report["counts"]["exported"] == len(items)
    # The report's field coverage is the committed file's: the copy marked, or gone.
    assert report["coverage"]["duplicate_of"] == (50.0 if mode == "mark" else 0.0)
    never = next(line for line in run.stderr.splitlines() if "never found:" in line).split("never found:")[1]
    assert report["coverage"]["title"] == 100.0 and ("duplicate_of" in never) == (mode == "drop")
    [history] = [json.loads(line) for line in next(tmp_path.rglob("coverage.ndjson")).read_text().splitlines()]
    assert sum(counts["articles"] for counts in history["sites"].values()) == len(items)
