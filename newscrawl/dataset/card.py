"""The dataset's card (``README.md``) and shareable list (``urls.csv``), from the data.

Counts, date range and field coverage come from the manifest the build wrote (the rows of
each partition as written); how the pages were fetched comes from the runs' reports
(``<run>.report.json`` beside each JSONL file). Nothing in the card is typed by hand but
the field meanings (FIELD_MEANINGS) and the terms.
"""
from __future__ import annotations

import csv
from collections import Counter, defaultdict
from pathlib import Path
from typing import Any

from newscrawl.dataset.folder import ARTICLES
from newscrawl.dataset.inputs import run_report
from newscrawl.dataset.scan import partition_of
from newscrawl.network.identity import __version__
from newscrawl.output.columns import TYPED_SCHEMA, iso_dates
from newscrawl.text.normalize import neutralise

SHARE_FILE = "urls.csv"
# The Hub's size categories: (rows below, name).
HUB_SIZES = ((1_000, "n<1K"), (10_000, "1K<n<10K"), (100_000, "10K<n<100K"), (1_000_000, "100K<n<1M"),
             (10_000_000, "1M<n<10M"), (float("inf"), "10M<n<100M"))
SHARE_FIELDS = ("url", "article_id", "published_at", "title", "version", "content_hash")
FIELD_MEANINGS = {
    "url": "canonical URL of the article's first page",
    "article_id": "the site's own id of the article",
    "site": "host name (also the first folder under `articles/`)",
    "title": "headline",
    "description": "summary shown under the headline",
    "authors": "list of author names",
    "editor": "editor's name",
    "published_at": "publication time (UTC timestamp)",
    "published_at_offset": "the offset the site gave the publication time in (+07:00 WIB, +08:00 WITA, +09:00 WIT)",
    "updated_at": "time of the last update the page states (UTC timestamp)",
    "updated_at_offset": "the offset of updated_at",
    "section": "section slug (nasional, regional, ...)",
    "tags": "list of tags",
    "image_url": "lead photo",
    "image_caption": "its caption",
    "image_credit": "its credit",
    "body": "text of all pages of the article, paragraphs separated by a blank line",
    "related_urls": "'Baca juga' links",
    "page_count": "pages the article has",
    "complete": "false when a page is missing from body, or the article is premium (teaser only)",
    "free_access": "false for a premium article (the page shows a teaser)",
    "word_count": "words in body",
    "language": "language code",
    "source": "the attribution the article gives ('Sumber:', a syndicating site)",
    "crawled_at": "when newscrawl built the record (UTC timestamp)",
    "captured_at": "when the article's page 1 was fetched, or in a replay captured (its WARC-Date) (UTC timestamp)",
    "content_hash": "SHA-256 of body with case and white space folded",
    "duplicate_of": "for a syndicated copy, the URL of the original",
    "version": "1, then +1 each time the article was found changed",
    "previous_hash": "content_hash of the version before",
    "month": "month of publication in the article's own time zone, `undated` without a date (also the second folder)",
}


def write_card(folder: Path, manifest: Any, options: Any) -> None:
    parts = manifest.partitions
    rows = sum(p["rows"] for p in parts.values())
    by_site: Counter = Counter()
    by_month: dict[str, Counter] = defaultdict(Counter)
    for name, summary in parts.items():
        site, month = partition_of(name)
        by_site[site] += summary["rows"]
        by_month[site][month] += summary["rows"]
    firsts = [p["first"] for p in parts.values() if p.get("first")]
    lasts = [p["last"] for p in parts.values() if p.get("last")]
    lines = [
        *_hub_header(rows),
        "# Tribun network articles",
        "",
        f"Built by newscrawl {__version__} on {manifest.built_at} from {len(manifest.inputs)} crawl run file(s).",
        f"{rows:,} rows: {'every' if options.all_versions else 'the latest'} version of each article"
        f"{', syndicated copies left out' if options.drop_copies else ', syndicated copies marked in duplicate_of'}.",
        f"Sites: {len(by_site)}. Published (UTC) from {min(firsts) if firsts else 'unknown'} to "
        f"{max(lasts) if lasts else 'unknown'}.",
        "Versions are numbered by the build, from the data: an article's next version is a change of its "
        "`content_hash`, in capture order (`captured_at`), and `previous_hash` is the version before's "
        f"hash; {manifest.renumbered:,} row(s) of the runs read carried another number (a replay with a fresh "
        "state numbers from 1, a second machine from its own store) and were renumbered.",
        "",
        "## Terms",
        "",
        "The texts, headlines and captions belong to their publishers, the sites of the Tribun network; "
        f"they are not ours to license. This dataset is shared for {options.purpose} only.",
        "To share it further, share `urls.csv` (no texts: written with `--share`): anyone can fetch the same "
        "articles again with `scrapy crawl tribun -a urls_file=urls.csv`, and the run reports which articles "
        "changed (their `content_hash` differs) or are gone.",
        "",
        "## How the data was collected",
        "",
        *_collection(manifest.inputs),
        "",
        "## Reading it",
        "",
        "Parquet (zstd) under `articles/`, one folder per site and month of publication "
        "(`articles/<host>/<YYYY-MM>/part-0.parquet`, `undated` for rows without a date); `site` and "
        "`month` are columns inside the files too, so every reader gets the same columns:",
        "",
        "```python",
        "import pandas as pd; articles = pd.read_parquet('articles')",
        "import polars as pl; articles = pl.read_parquet('articles/*/*/*.parquet')",
        "import duckdb; duckdb.sql(\"SELECT * FROM read_parquet('articles/*/*/*.parquet')\")",
        "from datasets import load_dataset; articles = load_dataset('parquet', data_files='articles/*/*/*.parquet')",
        "```",
        "",
        "On the Hugging Face Hub the header of this card names the files: `load_dataset('<user>/<name>')`.",
        "",
        "## Fields",
        "",
        "| field | type | filled | meaning |",
        "|---|---|---|---|",
        *_fields(parts, rows),
        "",
        "## Articles per site and month",
        "",
        "| site | month | articles |",
        "|---|---|---|",
        *(f"| {site} | {month} | {n:,} |" for site in sorted(by_month) for month, n in sorted(by_month[site].items())),
        "",
    ]
    (folder / "README.md").write_text("\n".join(lines), encoding="utf-8")


def _fields(parts: dict[str, dict], rows: int) -> list[str]:
    filled: Counter = Counter()
    for summary in parts.values():
        filled.update(summary["filled"])
    out = []
    for field in TYPED_SCHEMA:
        share = f"{100 * filled[field.name] / rows:.1f}%" if rows else "-"
        out.append(f"| `{field.name}` | {field.type} | {share} | {FIELD_MEANINGS[field.name]} |")
    out.append(f"| `month` | string | {'100%' if rows else '-'} | {FIELD_MEANINGS['month']} |")
    return out


def _hub_header(rows: int) -> list[str]:
    """The card's YAML header, as the Hugging Face Hub reads it (``DatasetCard``): language,
    license (the publishers': other), size, and the files of the default configuration."""
    size = next(name for limit, name in HUB_SIZES if rows < limit)
    return ["---", "language:", "- id", "license: other", "pretty_name: Tribun network articles",
            "size_categories:", f"- {size}", "tags:", "- news", "- newscrawl", "configs:",
            "- config_name: default", "  data_files:", "  - split: train", "    path: articles/*/*/*.parquet",
            "---", ""]


def _collection(inputs: dict[str, Any]) -> list[str]:
    """How the runs fetched their pages, from their reports; runs without one are said."""
    agents: Counter = Counter()
    robots, replays, unknown = Counter(), 0, 0
    for name in inputs:
        try:
            collected = dict((run_report(Path(name)) or {})["collected"])
        except (KeyError, TypeError, ValueError):
            unknown += 1
            continue
        if collected.get("from_archives"):
            replays += 1
        else:
            agents[collected.get("user_agent")] += 1
            robots[bool(collected.get("robots_txt_obeyed"))] += 1
    lines = [f"Crawled with newscrawl (Scrapy) from the sites themselves in {sum(agents.values())} run(s)"
             + (f", re-extracted from web archives in {replays}" if replays else "") + "."]
    lines += [f"- User-Agent `{agent}`: {n} run(s)" for agent, n in agents.most_common()]
    if robots:
        lines.append(f"- robots.txt obeyed in {robots[True]} of {sum(robots.values())} live run(s)")
    if unknown:
        lines.append(f"- {unknown} run file(s) without a run report: how they were fetched is not known")
    return lines


def write_share(folder: Path) -> None:
    """``urls.csv``: the articles without their texts, in partition order; a cell that a
    spreadsheet would take for a formula (a title ``=HYPERLINK(…)``) is neutralised as in
    the crawl's CSV."""
    import pyarrow.dataset as ds  # here: it costs a third of a second, and only --share needs it

    dataset = ds.dataset(folder / ARTICLES, format="parquet")
    with (folder / SHARE_FILE).open("w", encoding="utf-8", newline="") as out:
        writer = csv.writer(out)
        writer.writerow(SHARE_FIELDS)
        for batch in dataset.to_batches(columns=[*SHARE_FIELDS, "published_at_offset"]):
            for row in batch.to_pylist():
                row = iso_dates(row)
                writer.writerow([neutralise(row[name]) for name in SHARE_FIELDS])  # safe in a spreadsheet
