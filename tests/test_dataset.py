"""From runs to a dataset (README "Building a dataset"): Parquet read back by pyarrow, pandas
and DuckDB equal to the runs' JSONL, incremental rebuilds, kills, the shared list's way back
through -a urls_file, the Parquet feed, and the sample archive.

Two real crawls of a copy of the fixture site: the first exports five articles (three
partitions); then one article's text changes on the site and the second run, revisiting,
exports its version 2 alone.
"""
from __future__ import annotations

import csv
import fcntl
import json
import math
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.dataset as ds
import pyarrow.parquet as pq
import pytest

from newscrawl.dataset.scan import scan
from newscrawl.output.columns import TYPED_SCHEMA, iso_dates
from tests.conftest import REPO, crawl_env, forked, run_crawl
from tests.fixture_site import FIXTURE_ROOT, FixtureSite
from tests.rungen import write_runs

INDEX = "https://www.tribunnews.com/index-news?date=2020-5-4"
COPY = "https://surabaya.tribunnews.com/2020/05/04/pemerintah-perpanjang-psbb-jakarta-hingga-akhir-mei"
BEKASI = "www.tribunnews.com/nasional/2020/05/04/kasus-covid-19-di-bekasi-bertambah"
REVISIT = ["-s", "NEWSCRAWL_REVISIT_WITHIN=10000000", "-s", "NEWSCRAWL_REVISIT_EVERY=0"]


def build(*args: str, cwd: Path | None = None, timeout: int = 120) -> subprocess.CompletedProcess:
    return forked([sys.executable, "-m", "newscrawl.dataset", *map(str, args)], cwd, timeout)


def jsonl_lines(folder: Path) -> list[dict]:
    return [json.loads(line) for f in sorted(folder.rglob("*.jsonl")) for line in f.read_text().splitlines()]


def latest(lines: list[dict]) -> dict[str, dict]:
    """What a reader of the runs expects: the highest version of each url."""
    best: dict[str, dict] = {}
    for line in lines:
        if line["url"] not in best or line["version"] > best[line["url"]]["version"]:
            best[line["url"]] = line
    return best


def read_back(dataset: Path) -> list[dict]:
    """The dataset's rows through pyarrow, in the JSONL's form (month aside)."""
    table = ds.dataset(dataset / "articles", format="parquet").to_table()
    return [{k: v for k, v in iso_dates(row).items() if k != "month"} for row in table.to_pylist()]


def files_of(dataset: Path) -> dict[str, tuple[int, int]]:
    """Each partition file with its inode and modification time."""
    return {str(f.relative_to(dataset)): (f.stat().st_ino, f.stat().st_mtime_ns)
            for f in (dataset / "articles").rglob("*.parquet")}


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    root = tmp_path_factory.mktemp("runs")
    shutil.copytree(FIXTURE_ROOT, root / "site")
    with FixtureSite(root / "site") as site:
        urls = f"urls={site.url(INDEX)},{site.url(COPY)}"
        first = run_crawl(root / "work", "-a", urls)
        assert first.returncode == 0, first.stderr
        output = root / "work" / "output" / "tribun"
        runs = type("Runs", (), {})()
        runs.root, runs.site, runs.output, runs.urls = root, site, output, urls
        runs.first_lines = jsonl_lines(output)
        runs.built = build(output, root / "dataset", "--share")
        shutil.copytree(root / "dataset", root / "dataset-1")  # as the first build left it
        runs.files_1 = files_of(root / "dataset")
        page = root / "site" / f"{BEKASI}.html"
        page.write_text(page.read_text().replace("kini mencapai 248 orang.", "kini mencapai 260 orang, "
                                                 "naik dua belas dalam sehari."))
        second = run_crawl(root / "work", *REVISIT, "-a", urls)
        assert second.returncode == 0, second.stderr
        runs.second = second
        runs.rebuilt = build(output, root / "dataset")
        runs.lines = jsonl_lines(output)
        yield runs


def test_the_dataset_holds_the_latest_version_of_each_article_equal_to_the_jsonl(runs):
    assert runs.built.returncode == 0 and runs.rebuilt.returncode == 0, runs.rebuilt.stderr
    bekasi = [line for line in runs.lines if line["url"].endswith(BEKASI.split("/", 1)[1])]
    assert [line["version"] for line in bekasi] == [1, 2]  # the second run exported version 2 alone
    assert len(runs.lines) == 6
    rows = read_back(runs.root / "dataset")
    assert len(rows) == 5 and len({row["url"] for row in rows}) == 5
    expected = latest(runs.lines)
    for row in rows:
        assert row == expected[row["url"]]  # every field, with its type brought back to JSON's


def test_columns_are_typed(runs):
    [file] = (runs.root / "dataset" / "articles").glob("*/2025-11/*.parquet")
    schema = pq.read_schema(file)
    assert schema.field("published_at").type == pa.timestamp("us", tz="UTC")
    assert schema.field("published_at_offset").type == pa.string()
    assert schema.field("crawled_at").type == pa.timestamp("us", tz="UTC")
    assert schema.field("authors").type == pa.list_(pa.string())
    for name in ("page_count", "word_count", "version"):
        assert schema.field(name).type == pa.int32()
    assert schema.field("complete").type == pa.bool_() and schema.field("free_access").type == pa.bool_()
    assert schema.field("site").type == pa.string() and schema.field("month").type == pa.string()  # and folders
    assert pq.ParquetFile(file).metadata.row_group(0).column(0).compression == "ZSTD"


def from_pandas(record: dict) -> dict:
    """A row as pandas gives it, in the JSONL's form: arrays as lists, NaN/NaT as null,
    numpy scalars as Python's, timestamps back in their own offset."""
    out = {}
    for name, value in record.items():
        if isinstance(value, np.ndarray):
            value = value.tolist()
        elif value is None or value is pd.NaT or (isinstance(value, float) and math.isnan(value)):
            value = None
        elif isinstance(value, pd.Timestamp):
            value = value.to_pydatetime()
        elif isinstance(value, np.generic):
            value = value.item()
        if name in ("page_count", "word_count", "version") and isinstance(value, float):
            value = int(value)
        out[name] = value
    return iso_dates(out)


def test_pandas_and_duckdb_read_it_as_the_jsonl_says(runs):
    expected = latest(runs.lines)
    frame = pd.read_parquet(runs.root / "dataset" / "articles")
    assert sorted(frame["url"]) == sorted(expected)
    assert str(frame["published_at"].dt.tz) == "UTC"
    for record in frame.to_dict("records"):
        row = from_pandas(record)
        line = expected[row["url"]]
        assert row.pop("month") == line["published_at"][:7]
        assert row == line  # every field
    glob = str(runs.root / "dataset" / "articles" / "*" / "*" / "*.parquet")
    rows = duckdb.sql(f"SELECT url, version, content_hash, site, epoch(published_at)::BIGINT, len(authors), "
                      f"published_at_offset, complete, body FROM read_parquet('{glob}')"
                      ).fetchall()
    assert len(rows) == len(expected)
    for url, version, content_hash, site, epoch, authors, offset, complete, body in rows:
        line = expected[url]
        assert (version, content_hash, site, authors, complete, body) == (
            line["version"], line["content_hash"], line["site"], len(line["authors"]), line["complete"], line["body"])
        assert epoch == int(pd.Timestamp(line["published_at"]).timestamp()) and line["published_at"].endswith(offset)


def test_a_line_longer_than_a_block_is_read(tmp_path):
    """The JSON reader parses a block at a time; an article longer than a block is whole."""
    lines = tmp_path / "run.jsonl"
    lines.write_text("".join(json.dumps({"url": f"https://www.tribunnews.com/{n}", "body": body}) + "\n"
                             for n, body in enumerate(["a", "b" * (3 << 20), "c"])))
    scanned = scan([lines], tmp_path / "spill", block_bytes=1 << 20)
    assert scanned.rows == 3 and scanned.key_table().column("url").to_pylist()[1] == "https://www.tribunnews.com/1"


def test_a_second_build_at_once_is_refused(runs, tmp_path):
    dataset = tmp_path / "dataset"
    with open(tmp_path / ".dataset.lock", "a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        done = build(runs.output, dataset)
    assert done.returncode == 1 and "another build of this dataset is running; nothing was changed" in done.stderr
    assert not dataset.exists()


def test_a_rebuild_rewrites_only_the_partition_the_new_run_touched(runs):
    assert "1 written and 2 kept, from 1 new input file(s)" in runs.rebuilt.stderr
    files_2 = files_of(runs.root / "dataset")
    assert files_2.keys() == runs.files_1.keys()
    touched = [name for name in files_2 if files_2[name] != runs.files_1[name]]
    assert len(touched) == 1 and "/127.0.0.1:" in touched[0] and "/2020-05/" in touched[0]
    untouched = [name for name in files_2 if name not in touched]
    assert len(untouched) == 2  # the same files (inode and time): hard links, not rewritten
    before = {row["url"]: row["version"] for row in read_back(runs.root / "dataset-1")}
    after = {row["url"]: row["version"] for row in read_back(runs.root / "dataset")}
    assert [u for u in after if after[u] != before[u]] == [u for u in after if u.endswith(BEKASI.split("/", 1)[1])]
    again = build(runs.output, runs.root / "dataset")  # nothing new: nothing written
    assert again.returncode == 0 and "0 written and 3 kept, from 0 new input file(s)" in again.stderr


def test_all_versions_and_drop_copies(runs):
    every = runs.root / "every"
    done = build(runs.output, every, "--all-versions")
    assert done.returncode == 0, done.stderr
    rows = read_back(every)
    assert sorted((r["url"], r["version"]) for r in rows) == sorted((l["url"], l["version"]) for l in runs.lines)
    for row in rows:
        assert row in runs.lines
    originals = runs.root / "originals"
    assert build(runs.output, originals, "--drop-copies").returncode == 0
    kept = read_back(originals)
    copies = [u for u, line in latest(runs.lines).items() if line["duplicate_of"]]
    assert copies and not {r["url"] for r in kept} & set(copies)
    assert len(kept) == 5 - len(copies)
    # Other options than the dataset was built with: rebuilt in full, and said.
    changed = build(runs.output, originals)
    assert changed.returncode == 0 and "in full: options changed" in changed.stderr
    assert len(read_back(originals)) == 5


def test_the_card_is_written_from_the_data(runs):
    card = (runs.root / "dataset" / "README.md").read_text()
    rows = read_back(runs.root / "dataset")
    assert f"{len(rows)} rows: the latest version of each article" in card
    assert "from 2 crawl run file(s)" in card
    assert "robots.txt obeyed in 2 of 2 live run(s)" in card
    assert "newscrawl/0.3`: 2 run(s)" in card and "belong to their publishers" in card
    assert "shared for non-commercial research and teaching only" in card
    for site in {r["site"] for r in rows}:
        for month in {r["published_at"][:7] for r in rows if r["site"] == site}:
            n = sum(1 for r in rows if r["site"] == site and r["published_at"][:7] == month)
            assert f"| {site} | {month} | {n} |" in card
    tags = sum(1 for r in rows if r["tags"]) / len(rows)
    assert f"| `tags` | list<item: string> | {100 * tags:.1f}% |" in card
    assert "| `published_at_offset` | string | 100.0% |" in card


def test_the_shared_list_comes_back_through_urls_file_and_says_what_changed(runs, tmp_path):
    shared = runs.root / "dataset-1" / "urls.csv"
    listed = list(csv.DictReader(shared.open(encoding="utf-8")))
    assert list(listed[0]) == ["url", "article_id", "published_at", "title", "version", "content_hash"]
    assert len(listed) == 5 and "body" not in shared.read_text()[:200]
    gone = runs.site.url("https://www.tribunnews.com/nasional/2020/05/04/tidak-ada-lagi")
    # The same gone article again under two variants of its URL: one article, gone once.
    variants = [f"{gone}?utm_source=x&page=2", f"{gone}/"]
    with shared.open(encoding="utf-8") as source, (tmp_path / "urls.csv").open("w", encoding="utf-8") as out:
        out.write(source.read() + "".join(f"{url},1,2020-05-04T10:00:00+07:00,Tidak Ada,1,abc\n"
                                          for url in [gone, *variants]))
    # The state store knows every article: a list is fetched whole all the same.
    run = run_crawl(runs.root / "work", "-O", str(tmp_path / "again.jsonl"), "-a", f"urls_file={tmp_path / 'urls.csv'}")
    assert run.returncode == 0, run.stderr
    report = json.loads((tmp_path / "again.report.json").read_text())
    bekasi = [row["url"] for row in listed if row["url"].endswith(BEKASI.split("/", 1)[1])]
    lists = tmp_path / "again.listed.json"
    assert report["urls_file"] == {"listed": 6, "unchanged": 4, "changed": 1, "gone": 1, "changed_urls": bekasi,
                                   "gone_urls": [gone], "urls_shown": 100, "all_urls_in": str(lists)}
    assert json.loads(lists.read_text()) == {"changed": bekasi, "gone": [gone]}
    assert report["verdict"] == "ok" and len(report["warnings"]) == 2
    assert f"1 of 6 listed article(s) changed since the list was made (another content_hash): {bekasi[0]}" in run.stderr
    again = {json.loads(line)["url"] for line in (tmp_path / "again.jsonl").read_text().splitlines()}
    assert again == {row["url"] for row in listed}
    # From the first run's archive: the articles as they were listed.
    [archive] = sorted(runs.output.glob("*.warc.gz"))[:1]
    replay = run_crawl(tmp_path / "replay", "-a", f"urls_file={tmp_path / 'urls.csv'}", "-a", f"archive={archive}")
    assert replay.returncode == 0, replay.stderr
    assert replay.stats["newscrawl/urls_file/unchanged"] == 5 and replay.stats["newscrawl/urls_file/gone"] == 1


@pytest.mark.parametrize("content, problem", [
    ("link\nhttps://www.tribunnews.com/a\n", "has no 'url' column in its header line"),
    ("url\nftp://www.tribunnews.com/a\n", "line 2: 'ftp://www.tribunnews.com/a' is not an http(s) URL"),
    ("url,title\n", "lists no URL"),
    (None, "No such file or directory"),
])
def test_a_bad_urls_file_is_one_line_and_nothing_runs(tmp_path, content, problem):
    listing = tmp_path / "urls.csv"
    if content is not None:
        listing.write_text(content)
    run = run_crawl(tmp_path, "-a", f"urls_file={listing}")
    assert run.returncode == 2 and f"error: -a urls_file: {listing}" in run.stderr and problem in run.stderr
    assert not (tmp_path / "output").exists()


def test_parquet_feed_writes_row_groups_of_typed_columns(runs, tmp_path):
    run = run_crawl(tmp_path, "-O", "articles.parquet", "-s", "NEWSCRAWL_PARQUET_ROW_GROUP=2", "-a", runs.urls,
                    "-s", "NEWSCRAWL_INCREMENTAL=0")
    assert run.returncode == 0, run.stderr
    file = pq.ParquetFile(tmp_path / "articles.parquet")
    assert file.metadata.num_rows == 5 and file.metadata.num_row_groups == 3
    rows = [iso_dates(row) for row in file.read().to_pylist()]
    expected = latest(runs.lines)
    for row in rows:
        line = expected[row["url"]]
        fetched = ("crawled_at", "captured_at", "version", "previous_hash")  # of this crawl, another fetch
        assert {k: v for k, v in row.items() if k not in fetched} == {k: v for k, v in line.items() if k not in fetched}
    refused = run_crawl(tmp_path, "-o", "more.parquet", "-a", runs.urls)
    assert refused.returncode == 2 and refused.stderr.strip().endswith(
        "error: -o more.parquet: a Parquet file cannot be appended to: write it with -O (replaced on every run)")
    assert not (tmp_path / "more.parquet").exists()


def test_an_empty_run_leaves_a_valid_empty_parquet_file(runs, tmp_path):
    run = run_crawl(tmp_path, "-O", "articles.parquet", "-a", "urls=" + runs.site.url(COPY) + "-tidak-ada")
    assert run.returncode != 2, run.stderr
    assert run.stats.get("item_scraped_count", 0) == 0
    assert pq.read_table(tmp_path / "articles.parquet").num_rows == 0


def test_a_kill_during_a_build_leaves_the_old_dataset_intact(tmp_path):
    """SIGKILL at several moments of a full rebuild (12,000 articles, about 1.5 s): each
    time the dataset is the old one, whole; then a build clears what the kills left."""
    output = tmp_path / "output"
    write_runs(output, files=8, per_file=1500)
    dataset = tmp_path / "dataset"
    assert build(output, dataset).returncode == 0
    before = read_back_counts(dataset)
    landed = 0
    for delay in (0.0, 0.15, 0.3, 0.5, 0.7, 0.9):
        started = subprocess.Popen([sys.executable, "-m", "newscrawl.dataset", str(output), str(dataset), "--full"],
                                   env=crawl_env(), stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 60
        while not (tmp_path / ".dataset.building").exists() and started.poll() is None and time.monotonic() < deadline:
            time.sleep(0.005)  # the build has begun: its folder is there
        time.sleep(delay)
        landed += started.poll() is None
        started.send_signal(signal.SIGKILL)
        started.wait()
        assert read_back_counts(dataset) == before  # the old dataset, whole
    assert landed >= 4  # the kills did land during builds, not after them
    after = build(output, dataset)
    assert after.returncode == 0 and read_back_counts(dataset) == before
    assert not (tmp_path / ".dataset.building").exists() and not (tmp_path / ".dataset.spill").exists()


def read_back_counts(dataset: Path) -> tuple[int, int]:
    table = ds.dataset(dataset / "articles", format="parquet").to_table(columns=["url", "version"])
    return table.num_rows, len(set(table.column("url").to_pylist()))


def test_broken_input_or_a_foreign_folder_changes_nothing(runs, tmp_path):
    dataset = tmp_path / "dataset"
    shutil.copytree(runs.root / "dataset", dataset)
    before = files_of(dataset)
    broken = tmp_path / "out" / "tribun-9.jsonl"
    broken.parent.mkdir()
    broken.write_text('{"url": "https://www.tribunnews.com/a", "title": "x"}\n{"url": "https://www.tribunne\n')
    done = build(runs.output, broken.parent, dataset)
    assert done.returncode == 1 and done.stderr.count("\n") == 1
    assert f"error: {broken}: not JSON Lines of articles" in done.stderr and "nothing was changed" in done.stderr
    assert files_of(dataset) == before
    foreign = tmp_path / "notes"
    foreign.mkdir()
    (foreign / "mine.txt").write_text("keep me")
    done = build(runs.output, foreign)
    assert done.returncode == 1 and "a folder that is not a dataset built by newscrawl" in done.stderr
    assert (foreign / "mine.txt").read_text() == "keep me"
    missing = build(tmp_path / "nowhere", tmp_path / "d")
    assert missing.returncode == 1 and "nowhere: no such file or folder" in missing.stderr


def test_the_sample_archive_replays_its_two_genuine_pages(tmp_path):
    run = run_crawl(tmp_path, "-a", f"archive={REPO / 'samples'}")
    assert run.returncode == 0, run.stderr
    items = {item["url"]: item for item in run.items()}
    taxi = items["https://www.tribunnews.com/metropolitan/2015/06/19/"
                 "kadishub-dki-taksi-uber-tak-punya-izin-operasi-uji-kir-tidak-berargo-dan-bermahkota"]
    assert taxi["title"] == "Kadishub DKI: Taksi Uber Tak Punya Izin Operasi, Uji KIR, Tidak Berargo dan Bermahkota"
    assert taxi["published_at"] == "2015-06-19T12:58:00+07:00" and taxi["complete"] is True
    assert taxi["authors"] == ["Glery Lazuardi"] and taxi["editor"] == "Willy Widianto"
    assert taxi["body"].startswith("TRIBUNNEWS.COM, JAKARTA - Kepala Dinas Perhubungan DKI Jakarta")
    assert taxi["body"].endswith("aparat masih melakukan pengembangan kasus ini.")
    soal = items["https://www.tribunnews.com/pendidikan/2020/05/04/"
                 "jawaban-soal-apa-dampak-negatif-jika-menunda-pekerjaan-belajar-dari-rumah-sma-di-tvri"]
    assert soal["published_at"] == "2020-05-04T04:25:13+07:00" and soal["editor"] == "Sri Juliati"
    assert soal["page_count"] == 4 and soal["complete"] is False  # pages 2-4 were never saved
    assert soal["image_credit"] == "Tangkapan Layar TVRI"


def test_a_site_naming_a_path_never_writes_outside_the_dataset_and_formulas_stay_text(tmp_path):
    """A record (older or foreign JSONL) whose ``site`` is ``../../../../escaped2``: its
    folder is one URI-escaped name inside the dataset, and every reader gets the value back."""
    import random
    from datetime import datetime

    from newscrawl.text.dates import WIB
    from tests.rungen import article, vocabulary

    rows = [article(n, datetime(2026, 1, 1, 10, tzinfo=WIB), random.Random(n), vocabulary(1)) for n in range(2)]
    rows[1]["site"] = "../../../../escaped2"
    rows[0]["title"] = '=HYPERLINK("http://x.example","klik")'  # and urls.csv stays safe in a spreadsheet
    output = tmp_path / "work" / "deep" / "er" / "output"
    output.mkdir(parents=True)
    (output / "tribun-00000001-x.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))
    dataset = tmp_path / "work" / "deep" / "er" / "dataset"
    done = build(output, dataset, "--share")
    assert done.returncode == 0, done.stderr
    titles = [row["title"] for row in csv.DictReader((dataset / "urls.csv").open(encoding="utf-8"))]
    assert '\'=HYPERLINK("http://x.example","klik")' in titles
    written = {p.resolve() for p in tmp_path.rglob("*.parquet")}
    assert written and all(dataset.resolve() in p.parents for p in written)
    assert not list(tmp_path.rglob("escaped2"))
    sites = sorted(ds.dataset(dataset / "articles").to_table().column("site").to_pylist())
    assert sites == sorted([rows[0]["site"], "../../../../escaped2"])


def test_every_reader_gets_the_same_rows_and_columns_undated_rows_included(tmp_path, monkeypatch):
    """pandas, polars, DuckDB, pyarrow and Hugging Face datasets (by the files, and by the
    card's own YAML header) read the same rows with the same columns, ``site`` and ``month``
    included, from a dataset holding a row without ``published_at`` (older or foreign JSONL:
    in ``undated``). Before: pandas raised ArrowInvalid on Hive's null folder, datasets lost
    ``site`` and ``month``, and the card had no header."""
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setenv("HF_HOME", str(tmp_path / "hf"))
    import polars as pl
    from datasets import load_dataset
    from huggingface_hub import DatasetCard

    output = tmp_path / "output"
    write_runs(output, files=1, per_file=3)
    run = next(output.glob("*.jsonl"))
    rows = [json.loads(line) for line in run.read_text().splitlines()]
    rows[0]["published_at"] = None
    run.write_text("".join(json.dumps(row) + "\n" for row in rows))
    dataset = tmp_path / "dataset"
    done = build(output, dataset)
    assert done.returncode == 0, done.stderr
    files = str(dataset / "articles" / "*" / "*" / "*.parquet")
    expected = {row["url"]: (row["site"], row["published_at"][:7] if row["published_at"] else "undated") for row in rows}
    read = {
        "pandas": pd.read_parquet(dataset / "articles"),
        "polars": pl.read_parquet(files).to_pandas(),
        "duckdb": duckdb.sql(f"SELECT * FROM read_parquet('{files}')").df(),
        "pyarrow": ds.dataset(dataset / "articles").to_table().to_pandas(),
        "datasets (files)": load_dataset("parquet", data_files=files, split="train", cache_dir=str(tmp_path / "c1")).to_pandas(),
        "datasets (card)": load_dataset(str(dataset), split="train", cache_dir=str(tmp_path / "c2")).to_pandas(),
    }
    columns = [*TYPED_SCHEMA.names, "month"]
    for reader, frame in read.items():
        assert sorted(frame.columns) == sorted(columns), reader
        got = {url: (site, str(month)) for url, site, month in zip(frame["url"], frame["site"], frame["month"])}
        assert got == expected, reader
    card = DatasetCard.load(dataset / "README.md")
    assert card.data.language == ["id"] and card.data.license == "other" and card.data.size_categories == ["n<1K"]
    assert card.data.configs == [{"config_name": "default", "data_files": [{"split": "train", "path": "articles/*/*/*.parquet"}]}]
    assert "| `month` | string | 100% |" in (dataset / "README.md").read_text()


def test_a_rebuild_without_share_keeps_the_list_up_to_date_and_says_so(runs):
    """The first build shared urls.csv; the rebuild (no --share) writes it again, with the new
    version, and says so: it never deletes the list unsaid."""
    assert "urls.csv written again, as the last build shared it" in runs.rebuilt.stderr
    rows = list(csv.DictReader((runs.root / "dataset" / "urls.csv").open(encoding="utf-8")))
    versions = {row["url"].rsplit("/", 1)[1]: row["version"] for row in rows}
    assert versions[BEKASI.rsplit("/", 1)[1]] == "2" and len(rows) == len(latest(runs.lines))


def test_raw_run_files_load_in_polars_and_datasets_by_the_documented_lines(runs, tmp_path, monkeypatch):
    """The runs' JSONL as it is: the first run's previous_hash is null on every line, the
    second's is not (inferred from the first file, the column was null-typed and the second
    file failed). With the project's JSON_SCHEMA, both load every line."""
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setenv("HF_HOME", str(tmp_path / "hf"))
    import polars as pl
    from datasets import Features, load_dataset

    from newscrawl.output.columns import JSON_SCHEMA

    files = str(runs.output / "*.jsonl")
    assert any(line["previous_hash"] for line in runs.lines) and not any(line["previous_hash"] for line in runs.first_lines)
    frame = pl.read_ndjson(files, schema=pl.from_arrow(JSON_SCHEMA.empty_table()).schema)
    hub = load_dataset("json", data_files=files, features=Features.from_arrow_schema(JSON_SCHEMA), split="train",
                       cache_dir=str(tmp_path / "cache"))
    assert frame.height == hub.num_rows == len(runs.lines)
    assert sorted(filter(None, frame["previous_hash"].to_list())) == sorted(filter(None, hub["previous_hash"])) \
        == sorted(line["previous_hash"] for line in runs.lines if line["previous_hash"])


def test_dates_of_year_1_or_9999_never_stop_a_build(tmp_path):
    """Older or foreign JSONL with a CMS default date (0001-01-01) or a 9999 placeholder: the
    build goes on (it raised OverflowError, a traceback), says how many dates it set to null,
    and keeps the articles, undated."""
    output = tmp_path / "output"
    write_runs(output, files=1, per_file=3)
    run = next(output.glob("*.jsonl"))
    rows = [json.loads(line) for line in run.read_text().splitlines()]
    rows[0]["published_at"], rows[1]["updated_at"] = "0001-01-01T00:00:00+07:00", "9999-12-31T23:59:59-12:00"
    run.write_text("".join(json.dumps(row) + "\n" for row in rows))
    done = build(output, tmp_path / "dataset")
    assert done.returncode == 0 and "Traceback" not in done.stderr, done.stderr
    assert "2 date(s) of the inputs are not ISO 8601 with an offset in the years 1900-2100" in done.stderr
    frame = pd.read_parquet(tmp_path / "dataset" / "articles")
    got = frame.set_index("url")
    assert len(frame) == 3 and got.loc[rows[0]["url"], "month"] == "undated"
    assert pd.isna(got.loc[rows[0]["url"], "published_at"]) and pd.isna(got.loc[rows[0]["url"], "published_at_offset"])
    assert pd.isna(got.loc[rows[1]["url"], "updated_at"]) and not pd.isna(got.loc[rows[1]["url"], "published_at"])
