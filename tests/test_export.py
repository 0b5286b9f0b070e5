"""What reaches the user's files: JSONL against the schema, CSV, atomic files, bad settings."""
from __future__ import annotations

import csv
import io
import json

import jsonschema
import pytest

from newscrawl.feeds import AtomicFileFeedStorage
from newscrawl.items import ARTICLE_FIELDS
from tests.conftest import REPO, run_crawl

INDEX = "https://www.tribunnews.com/index-news?date=2020-5-4"
SCHEMA = json.loads((REPO / "schema" / "article.schema.json").read_text())


def test_jsonl_output_matches_the_json_schema(site, tmp_path):
    run = run_crawl(tmp_path, "-a", f"urls={site.url(INDEX)}")
    [feed] = run.feed_files()
    assert feed.parent == tmp_path / "output" / "tribun" and feed.name.startswith("tribun-")
    items = run.items()
    assert len(items) == 4
    for item in items:
        jsonschema.validate(item, SCHEMA)
        assert list(item) == list(ARTICLE_FIELDS)
    assert SCHEMA["required"] == list(ARTICLE_FIELDS)
    assert not list(feed.parent.glob("*.part"))


def test_jsonl_is_utf8_without_escapes(site, tmp_path):
    korut = ("https://www.tribunnews.com/internasional/7712345/"
             "ukraina-dan-nato-dalam-masalah-serius-korea-utara-buka-opsi-kirim-senjata-mematikan-ke-rusia")
    run = run_crawl(tmp_path, "-a", f"urls={site.url(korut)}")
    raw = run.feed_files()[0].read_text(encoding="utf-8")
    assert "“Kami mendapat informasi" in raw and "\\u201c" not in raw


def test_csv_opens_with_the_right_columns_and_keeps_paragraphs(site, tmp_path):
    out = tmp_path / "articles.csv"
    run = run_crawl(tmp_path, "-O", str(out), "-a", f"urls={site.url(INDEX)}")
    assert run.returncode == 0, run.stderr
    with out.open(newline="", encoding="utf-8") as handle:
        rows = list(csv.reader(handle))
    assert rows[0] == list(ARTICLE_FIELDS)
    records = [dict(zip(rows[0], row)) for row in rows[1:]]
    assert len(records) == 4
    psbb = next(r for r in records if "psbb" in r["url"])
    assert "\n\nSelama perpanjangan" in psbb["body"]
    assert psbb["tags"] == "PSBB | Jakarta | Anies Baswedan"
    assert psbb["complete"] == "true" and psbb["page_count"] == "3"
    assert psbb["updated_at"] == "2020-05-04T06:10:02+07:00"
    emas = next(r for r in records if "emas" in r["url"])
    assert emas["image_url"] == "" and emas["related_urls"] == ""


def test_csv_feed_setting_writes_csv_beside_jsonl(site, tmp_path):
    run = run_crawl(tmp_path, "-s", "NEWSCRAWL_CSV_FEED=1", "-a", f"urls={site.url(INDEX)}")
    [jsonl] = run.feed_files()
    [csv_file] = sorted((tmp_path / "output" / "tribun").glob("*.csv"))
    assert csv_file.stem == jsonl.stem
    assert len(list(csv.reader(io.StringIO(csv_file.read_text(encoding="utf-8"))))) == 5


def test_csv_cells_that_start_like_a_formula_are_neutralised(tmp_path):
    from scrapy.utils.test import get_crawler

    from newscrawl.feeds import SafeCsvItemExporter
    from newscrawl.items import Article

    buffer = io.BytesIO()
    exporter = SafeCsvItemExporter.from_crawler(
        get_crawler(settings_dict={"NEWSCRAWL_CSV_LIST_SEPARATOR": " | "}), buffer)
    exporter.start_exporting()
    exporter.export_item(Article(url="https://x.tribunnews.com/2020/01/01/a", title="=cmd|' /C calc'!A0",
                                 authors=["@ani", "Budi"], tags=["+62", "\tx"], body="-5 derajat\n\nLanjut."))
    exporter.finish_exporting()
    [header, row] = list(csv.reader(io.StringIO(buffer.getvalue().decode("utf-8"))))
    record = dict(zip(header, row))
    assert record["title"] == "'=cmd|' /C calc'!A0"
    assert record["authors"] == "'@ani | Budi" and record["tags"] == "'+62 | \tx"
    assert record["body"] == "'-5 derajat\n\nLanjut."


def test_a_feed_file_appears_only_when_complete(tmp_path):
    final = tmp_path / "out" / "run.jsonl"
    storage = AtomicFileFeedStorage(str(final), feed_options={"overwrite": True})
    handle = storage.open(None)
    handle.write(b'{"a": 1}\n')
    assert not final.exists() and (tmp_path / "out" / "run.jsonl.part").exists()
    storage.store(handle)
    assert final.read_bytes() == b'{"a": 1}\n' and not (tmp_path / "out" / "run.jsonl.part").exists()


def test_append_mode_adds_to_an_existing_file(tmp_path):
    final = tmp_path / "run.jsonl"
    final.write_bytes(b"old\n")
    storage = AtomicFileFeedStorage(str(final), feed_options={})
    handle = storage.open(None)
    handle.write(b"new\n")
    storage.store(handle)
    assert final.read_bytes() == b"old\nnew\n"


@pytest.mark.parametrize("setting, named", [
    ("NEWSCRAWL_MAXPAGES=5", "unknown setting -s NEWSCRAWL_MAXPAGES (did you mean NEWSCRAWL_MAX_PAGES?)"),
    ("NEWSCRAWL_MAX_PAGES=-1", "-s NEWSCRAWL_MAX_PAGES=-1: must be between 1 and 1000"),
    ("NEWSCRAWL_NEAR_DUPLICATES=maybe", "-s NEWSCRAWL_NEAR_DUPLICATES=maybe: must be one of mark, drop, off"),
    ("NEWSCRAWL_INCREMENTAL=perhaps", "-s NEWSCRAWL_INCREMENTAL=perhaps: must be 0 or 1 (or true/false)"),
])
def test_a_bad_newscrawl_setting_stops_before_any_request(site, tmp_path, setting, named):
    run = run_crawl(tmp_path, "-s", setting, "-a", f"urls={site.url(INDEX)}")
    assert run.returncode == 2
    assert run.stderr.strip().splitlines() == [f"scrapy crawl tribun: error: {named}"]
    assert site.requests == [] and not (tmp_path / "output").exists()


def test_an_explicit_output_file_replaces_the_default_one(site, tmp_path):
    out = tmp_path / "mine.jsonl"
    run = run_crawl(tmp_path, "-O", str(out), "-a", f"urls={site.url(INDEX)}")
    assert run.returncode == 0, run.stderr
    assert len(out.read_text().splitlines()) == 4
    assert run.feed_files() == []  # nothing under output/
    assert (tmp_path / "mine.report.json").exists()
