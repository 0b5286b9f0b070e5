"""What reaches the user's files: JSONL against the schema, CSV, atomic files, bad settings."""
from __future__ import annotations

import codecs
import csv
import io
import json
import os
import shutil
import subprocess
from pathlib import Path

import duckdb
import jsonschema
import pandas
import pytest

from newscrawl.items import ARTICLE_FIELDS
from newscrawl.output.feeds import AtomicFileFeedStorage
from tests.conftest import REPO, run_crawl

INDEX = "https://www.tribunnews.com/index-news?date=2020-5-4"
EMAS = "https://www.tribunnews.com/bisnis/2020/05/04/harga-emas-antam-naik"
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


def test_jsonl_loads_in_pandas_and_duckdb_as_the_readme_says(site, tmp_path):
    cabai = "https://makassar.tribunnews.com/2022/08/19/harga-cabai-rawit-di-pasar-terong-makassar-tembus-rp-80-ribu"
    out = tmp_path / "articles.jsonl"
    run = run_crawl(tmp_path, "-O", str(out), "-a", f"urls={site.url(EMAS)},{site.url(cabai)}")
    assert run.returncode == 0, run.stderr
    # README "Loading the output": pandas
    frame = pandas.read_json(out, lines=True, dtype={"article_id": str})
    frame["published_at"] = pandas.to_datetime(frame["published_at"], utc=True, format="ISO8601")
    assert str(frame["published_at"].dtype).endswith(", UTC]")  # +07:00 and +08:00 in one column
    assert sorted(str(t) for t in frame["published_at"]) == ["2020-05-04 01:55:01+00:00", "2022-08-19 02:15:00+00:00"]
    assert set(frame["article_id"]) == {"4962377", "773412"}  # text: leading zeros would survive
    # README "Loading the output": DuckDB (timestamps come back in UTC)
    duckdb.sql("SET TimeZone = 'UTC'")
    rows = duckdb.sql(f"SELECT article_id, published_at FROM read_json_auto('{out}') ORDER BY published_at").fetchall()
    assert [(a, t.isoformat()) for a, t in rows] == [
        ("4962377", "2020-05-04T01:55:01+00:00"), ("773412", "2022-08-19T02:15:00+00:00")]


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
    assert out.read_bytes().startswith(codecs.BOM_UTF8 + b"url,article_id,")  # spreadsheets see UTF-8
    with out.open(newline="", encoding="utf-8-sig") as handle:
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
    # The readers users load it with find the same header and text.
    frame = pandas.read_csv(out, dtype=str, keep_default_na=False)
    assert list(frame.columns) == list(ARTICLE_FIELDS) and len(frame) == 4
    assert set(frame["body"]) == {r["body"] for r in records}
    assert duckdb.sql(f"SELECT * FROM read_csv('{out}', header = true, all_varchar = true)").columns \
        == list(ARTICLE_FIELDS)


def test_csv_opens_in_libreoffice_calc_with_its_header(site, tmp_path):
    """Apart from the readers above: without LibreOffice only this test skips."""
    out = tmp_path / "articles.csv"
    run = run_crawl(tmp_path, "-O", str(out), "-a", f"urls={site.url(EMAS)}")
    assert run.returncode == 0, run.stderr
    rows = spreadsheet_rows(out, tmp_path)
    assert rows[0] == list(ARTICLE_FIELDS) and len(rows) == 2


def spreadsheet_rows(path: Path, tmp_path: Path) -> list[list[str]]:
    """The cells LibreOffice Calc reads from a CSV (imported as UTF-8, as the BOM says), saved back."""
    soffice = shutil.which("soffice")
    if soffice is None:
        if os.environ.get("CI") == "true":
            pytest.fail("LibreOffice is missing: .ci/run must install it (apt-get install -y libreoffice-calc-nogui)")
        pytest.skip("LibreOffice is not installed: apt-get install -y --no-install-recommends libreoffice-calc-nogui")
    out = tmp_path / "calc"
    subprocess.run([soffice, f"-env:UserInstallation=file://{tmp_path}/lo-profile", "--headless",
                    "--infilter=CSV:44,34,76", "--convert-to", "csv:Text - txt - csv (StarCalc):44,34,76",
                    "--outdir", str(out), str(path)], check=True, capture_output=True, timeout=120)
    with (out / path.name).open(newline="", encoding="utf-8") as handle:
        return list(csv.reader(handle))


def test_an_empty_run_with_dash_o_replaces_the_file_with_an_empty_one(site, tmp_path):
    out, table = tmp_path / "latest.jsonl", tmp_path / "latest.csv"
    first = run_crawl(tmp_path, "-O", str(out), "-s", "NEWSCRAWL_CSV_FEED=1", "-a", f"urls={site.url(EMAS)}")
    assert first.returncode == 0, first.stderr
    assert len(out.read_text().splitlines()) == 1
    assert len(list(csv.reader(io.StringIO(table.read_text(encoding="utf-8-sig"))))) == 2  # CSV beside -O
    run = first.stats["newscrawl/run"]  # and the web archive, under the run's name: never overwritten
    assert [p.name for p in tmp_path.glob("*.warc.gz")] == [f"latest-{run}.warc.gz"]
    again = run_crawl(tmp_path, "-O", str(out), "-s", "NEWSCRAWL_CSV_FEED=1", "-a", f"urls={site.url(EMAS)}")
    assert again.returncode == 0 and again.stat("articles/known") == 1
    assert out.read_bytes() == b""  # not the previous run's line, which a load would ingest again
    assert table.read_bytes() == codecs.BOM_UTF8 + (",".join(ARTICLE_FIELDS) + "\r\n").encode()
    assert not list(tmp_path.glob("*.part")) and not (tmp_path / "output").exists()


def test_csv_cells_that_start_like_a_formula_are_neutralised(tmp_path):
    from scrapy.utils.test import get_crawler

    from newscrawl.items import Article
    from newscrawl.output.csvfeed import SafeCsvItemExporter

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
    assert not final.exists() and [p.name for p in (tmp_path / "out").glob("*.part")] == [storage.part.name]
    storage.store(handle)
    assert final.read_bytes() == b'{"a": 1}\n' and not list((tmp_path / "out").glob("*.part"))


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
    ("NEWSCRAWL_REVISIT_WITHIN=-1", "-s NEWSCRAWL_REVISIT_WITHIN=-1: must be 0 or more"),
    ("NEWSCRAWL_CONTACT=robot@example.org", "-s NEWSCRAWL_CONTACT=robot@example.org: must not contain 'bot': "
                                            "CDN edges refuse any User-Agent that does"),
    ("CONCURRENT_REQUESTS=0", "-s CONCURRENT_REQUESTS=0: must be 1 or more"),
])
def test_a_bad_setting_is_one_line_naming_it(setting, named):
    """In-process: the crawl command's check of settings (its end-to-end form is below)."""
    from scrapy.settings import Settings

    from newscrawl.options import SettingError, check_settings

    name, value = setting.split("=", 1)
    with pytest.raises(SettingError) as raised:
        check_settings(Settings({name: value}))
    assert str(raised.value) == named


def test_a_bad_newscrawl_setting_stops_before_any_request(site, tmp_path):
    run = run_crawl(tmp_path, "-s", "NEWSCRAWL_MAXPAGES=5", "-a", f"urls={site.url(INDEX)}")
    assert run.returncode == 2
    assert run.stderr.strip().splitlines() == [
        "scrapy crawl tribun: error: unknown setting -s NEWSCRAWL_MAXPAGES (did you mean NEWSCRAWL_MAX_PAGES?)"]
    assert site.requests == [] and not (tmp_path / "output").exists()


def test_an_explicit_output_file_replaces_the_default_one(site, tmp_path):
    out = tmp_path / "mine.jsonl"
    run = run_crawl(tmp_path, "-O", str(out), "-a", f"urls={site.url(INDEX)}")
    assert run.returncode == 0, run.stderr
    assert len(out.read_text().splitlines()) == 4
    assert run.feed_files() == []  # nothing under output/
    assert (tmp_path / "mine.report.json").exists()


def test_corrections_rewrite_json_and_csv_feeds_a_record_at_a_time(tmp_path):
    """A large -O out.json or out.csv is corrected in bounded memory, in its own shape."""
    import json as jsonlib
    import tracemalloc

    from newscrawl.output.corrections import RunCorrections

    records = [{"url": f"https://www.tribunnews.com/a/{n}/x", "duplicate_of": None, "body": "kata " * 2000}
               for n in range(2000)]  # about 20 MB
    feed, table = tmp_path / "out.json", tmp_path / "out.csv"
    feed.write_text("[\n" + ",\n".join(jsonlib.dumps(r) for r in records) + "\n]")
    with table.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["url", "duplicate_of", "body"])
        writer.writerows([r["url"], "", r["body"]] for r in records)
    corrections = RunCorrections()
    corrections.superseded([records[5]["url"]], records[1]["url"], "mark")
    corrections.superseded([records[7]["url"]], records[1]["url"], "drop")
    tracemalloc.start()
    dropped, uncorrected = corrections.apply({feed: "json", table: "csv"}, lambda final: final)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert (dropped, uncorrected) == (1, 0) and peak < 8 * 1024 * 1024  # the files are 20 MB each
    fixed = jsonlib.loads(feed.read_text())
    assert len(fixed) == 1999 and fixed[5]["duplicate_of"] == records[1]["url"]
    rows = list(csv.reader(table.open(newline="", encoding="utf-8")))
    assert len(rows) == 2000 and rows[6][1] == records[1]["url"]
