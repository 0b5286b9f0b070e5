"""Generated crawl runs: JSONL files as newscrawl writes them, for the dataset builder's tests
and its benchmark (bench/dataset_bench.py).

Bodies of about 3 KB of made-up words (text that compresses as news does, not one paragraph
repeated), 60 sites, runs every 30 minutes; 5% of each run's articles come back as version 2
ten runs later, and every 33rd article is marked as a copy.
"""
from __future__ import annotations

import hashlib
import json
import random
from datetime import datetime, timedelta, timezone
from pathlib import Path

WIB = timezone(timedelta(hours=7))
SITES = ["www"] + [f"regional{n:02d}" for n in range(59)]
SYLLABLES = "ba be bi bu ka ke ki ku ma me mi mu na ne ni nu ra ri ru sa si su ta ti tu la li lu pa pi pu ga gu".split()


def vocabulary(seed: int, n: int = 6000) -> list[str]:
    """Made-up words of two to four syllables: text that compresses about as Indonesian
    news does (a few thousand common words), not as one paragraph repeated."""
    rng = random.Random(seed)
    return ["".join(rng.choices(SYLLABLES, k=rng.randint(2, 4))) for _ in range(n)]


def body_of(rng: random.Random, words: list[str]) -> str:
    """Nine paragraphs, about 3 KB: the size of a genuine article's text."""
    return "\n\n".join(" ".join(rng.choices(words, k=rng.randint(40, 60))).capitalize() + "." for _ in range(9))


def article(n: int, published: datetime, pool: random.Random, words: list[str], version: int = 1) -> dict:
    site = SITES[n % len(SITES)]
    host = f"{site}.tribunnews.com"
    path = f"/{published:%Y/%m/%d}/artikel-nomor-{n}" if site != "www" else f"/nasional/{published:%Y/%m/%d}/artikel-{n}"
    body = body_of(pool, words)
    return {
        "url": f"https://{host}{path}", "article_id": str(4_000_000 + n), "site": host,
        "title": f"Judul artikel nomor {n}" + (" (diperbarui)" if version > 1 else ""),
        "description": body[:150], "authors": [f"Penulis {n % 97}"], "editor": f"Editor {n % 13}",
        "published_at": published.isoformat(), "updated_at": None, "section": "nasional",
        "tags": [f"tag{n % 50}", f"tag{n % 7}"], "image_url": f"https://cdn2.tstatic.net/foto/{n}.jpg",
        "image_caption": None, "image_credit": None, "body": body,
        "related_urls": [f"https://{host}/baca/{n - 1}"], "page_count": 1 + n % 3, "complete": True,
        "free_access": True, "word_count": len(body.split()), "language": "id", "source": None,
        "crawled_at": None, "content_hash": hashlib.sha256(body.encode()).hexdigest(),
        "duplicate_of": f"https://www.tribunnews.com/nasional/x/{n}" if n % 33 == 0 else None,
        "version": version, "previous_hash": None,
    }


def write_runs(output: Path, files: int, per_file: int, first: int = 0, start: datetime | None = None) -> int:
    """``files`` run files of ``per_file`` new articles each (plus the second versions of
    articles of earlier runs); returns the number of lines written."""
    output.mkdir(parents=True, exist_ok=True)
    pool, words = random.Random(first), vocabulary(1)
    start = start or datetime(2026, 1, 1, tzinfo=WIB)
    lines, n = 0, first
    for run in range(first // per_file, first // per_file + files):
        moment = start + timedelta(minutes=30 * run)
        crawled = moment.astimezone(timezone.utc).replace(microsecond=0).isoformat()
        rows = []
        for _ in range(per_file):
            rows.append(article(n, moment - timedelta(minutes=n % 29), pool, words))
            n += 1
        # 5% of the articles of ten runs ago changed: their version 2 comes in this run.
        if run >= 10:
            for old in range((run - 10) * per_file, (run - 9) * per_file, 20):
                rows.append(article(old, start + timedelta(minutes=30 * (run - 10) - old % 29), pool, words, version=2))
        with (output / f"tribun-{run:08d}-bench.jsonl").open("w", encoding="utf-8") as out:
            for row in rows:
                row["crawled_at"] = crawled
                out.write(json.dumps(row, ensure_ascii=False) + "\n")
        lines += len(rows)
    return lines
