"""The article stores: SQLite on a real file, and Redis on a real redis-server."""
from __future__ import annotations

import pytest

from newscrawl.dedup.redis_store import RedisArticleStore, connect
from newscrawl.dedup.store import Capture, ExportedArticle, SqliteArticleStore, article_keys

A = "https://www.tribunnews.com/nasional/2020/05/04/a"


def test_recorded_articles_are_known_after_reopening(tmp_path):
    store = SqliteArticleStore(tmp_path / "s.sqlite3")
    store.record([ExportedArticle(article_keys(A, "www.tribunnews.com", "42"), A, simhash=2**63 + 5)])
    store.close()
    again = SqliteArticleStore(tmp_path / "s.sqlite3")
    assert again.knows(article_keys(A))
    assert again.knows(article_keys("https://www.tribunnews.com/nasional/42/a", "www.tribunnews.com", "42"))
    assert not again.knows(article_keys(A + "-lain"))
    assert again.count() == 2  # the URL key and the id key


def test_near_duplicates_are_found_within_the_distance_only(tmp_path):
    store = SqliteArticleStore(tmp_path / "s.sqlite3")
    value = 0xF0F0_1234_ABCD_0001
    store.record([ExportedArticle(article_keys(A), A, simhash=value)])
    assert store.near_duplicate_of(value ^ 0b111, max_distance=3).url == A  # 3 bits differ
    assert store.near_duplicate_of(value ^ 0b1111, max_distance=3) is None  # 4 bits
    assert store.near_duplicate_of(~value & (2**64 - 1), max_distance=3) is None


def test_recording_the_same_article_twice_is_harmless(tmp_path):
    store = SqliteArticleStore(tmp_path / "s.sqlite3")
    article = ExportedArticle(article_keys(A), A)
    assert store.record([article, article]) == 2
    assert store.count() == 1


def test_the_earliest_published_copy_is_the_one_found_and_old_stores_are_migrated(tmp_path):
    import sqlite3

    path = tmp_path / "s.sqlite3"
    old = sqlite3.connect(path)  # a store written before publication times were kept
    old.executescript("CREATE TABLE fingerprints (id INTEGER PRIMARY KEY, simhash INTEGER NOT NULL, url TEXT NOT NULL);")
    old.close()
    store = SqliteArticleStore(path)
    value = 0xF0F0_1234_ABCD_0001
    store.record([ExportedArticle(article_keys(A + "-copy"), A + "-copy", simhash=value, published=1_000_100),
                  ExportedArticle(article_keys(A), A, simhash=value ^ 1, published=1_000_000)])
    assert store.near_duplicate_of(value, 3).url == A


@pytest.fixture(params=["sqlite", "redis"])
def store(request, tmp_path):
    if request.param == "sqlite":
        opened = SqliteArticleStore(tmp_path / "s.sqlite3")
        yield opened
        opened.close()
    else:
        server = request.getfixturevalue("redis_url")
        yield RedisArticleStore(connect(server))


def test_both_stores_keep_the_last_full_capture_of_a_page_and_what_page_all_proved(store):
    """What later runs ask of them: the capture a revisit record refers to, and a site's
    ``?page=all`` proofs or refusal (newscrawl/archive/writer.py, newscrawl/crawl/page_all.py)."""
    assert store.last_capture(A) is None and store.page_all_of("www.tribunnews.com") is None
    store.record_captures([Capture(A, "sha1:AAAA", "2026-12-01T00:00:00Z"),
                           Capture(A + "?page=2", "sha1:BBBB", "2026-12-01T00:00:01Z")])
    store.record_captures([Capture(A, "sha1:CCCC", "2026-12-02T00:00:00Z")])  # the page changed: the later wins
    assert store.last_capture(A) == Capture(A, "sha1:CCCC", "2026-12-02T00:00:00Z")
    assert store.last_capture(A + "?page=2").digest == "sha1:BBBB"
    store.set_page_all("www.tribunnews.com", 2, None)
    store.set_page_all("surabaya.tribunnews.com", 0, f"{A}: its text differs")
    assert tuple(store.page_all_of("www.tribunnews.com")) == (2, None)
    assert tuple(store.page_all_of("surabaya.tribunnews.com")) == (0, f"{A}: its text differs")
