"""Pipelines, called through process_item as the engine calls them, on real components."""
from __future__ import annotations

import hashlib
import random
import re
import unicodedata
from datetime import datetime

import pytest
from scrapy.exceptions import DropItem

from newscrawl.dedup.copies import Copies
from newscrawl.dedup.state import ArticleState
from newscrawl.items import Article
from newscrawl.output.ledger import RunLedger
from newscrawl.pipelines import (
    DeduplicatePipeline,
    NearDuplicatePipeline,
    NormalizePipeline,
    ValidatePipeline,
)
from newscrawl.text.normalize import clean_text
from newscrawl.text.simhash import simhash
from tests.conftest import project_crawler

URL = "https://www.tribunnews.com/nasional/2020/05/04/judul"
LONG = " ".join(f"kata{i}" for i in range(80))


def article(**fields) -> Article:
    base = dict(url=URL, site="www.tribunnews.com", title="Judul", body="Isi berita.",
                published_at="2020-05-04T04:25:13+07:00")
    return Article(**{**base, **fields})


@pytest.fixture
def crawler(tmp_path):
    return project_crawler(tmp_path)


def normalize(crawler, **fields) -> Article:
    return NormalizePipeline.from_crawler(crawler).process_item(article(**fields))


# ---- normalize ---------------------------------------------------------------------------

@pytest.mark.parametrize("raw, iso", [
    ("2020-05-04T04:25:13+07:00", "2020-05-04T04:25:13+07:00"),
    ("2026-07-24T12:40+07:00", "2026-07-24T12:40:00+07:00"),
    ("2020-05-03T21:25:13Z", "2020-05-03T21:25:13+00:00"),
    ("Senin, 4 Mei 2020 04:25 WIB", "2020-05-04T04:25:00+07:00"),
    ("Selasa, 5 Mei 2020 4:25 WITA", "2020-05-05T04:25:00+08:00"),
    ("Rabu, 6 Mei 2020 04:25 WIT", "2020-05-06T04:25:00+09:00"),
    ("Kamis, 7 Mei 2020 04:25 WIB", "2020-05-07T04:25:00+07:00"),
    ("Jumat, 8 Mei 2020 04:25 WIB", "2020-05-08T04:25:00+07:00"),
    ("Jum'at, 8 Mei 2020 04:25 WIB", "2020-05-08T04:25:00+07:00"),
    ("Sabtu, 9 Mei 2020 04:25 WIB", "2020-05-09T04:25:00+07:00"),
    ("Minggu, 10 Mei 2020 04:25 WIB", "2020-05-10T04:25:00+07:00"),
    ("Senin, 3 Februari 2020 10:00 WIB", "2020-02-03T10:00:00+07:00"),
    ("Senin, 3 Pebruari 2020 10:00 WIB", "2020-02-03T10:00:00+07:00"),
    ("3 Agu 2023 19:26 WIB", "2023-08-03T19:26:00+07:00"),
    ("3 Agt 2023 19:26 WIB", "2023-08-03T19:26:00+07:00"),
    ("3 Ags 2023 19:26 WIB", "2023-08-03T19:26:00+07:00"),
    ("3 Nop 2023 19:26 WITA", "2023-11-03T19:26:00+08:00"),
    ("3 Okt 2023 19:26 WIB", "2023-10-03T19:26:00+07:00"),
    ("17 Des 2023 19:26 WIT", "2023-12-17T19:26:00+09:00"),
    ("Tayang: Senin, 3 November 2025 19:26 WIB", "2025-11-03T19:26:00+07:00"),
    ("Senin,\u00a04 Mei 2020\u00a004:25\u00a0WIB", "2020-05-04T04:25:00+07:00"),
])
def test_dates_become_iso_8601_with_their_offset(raw, iso):
    from newscrawl.text.dates import parse_date

    assert parse_date(raw) == iso


@pytest.mark.parametrize("raw", ["12 jam lalu", "Senin, 4 Mei 2020", "2020-05-04 04:25:13", "bukan tanggal",
                                 "0001-01-01T00:00:00+07:00", "9999-12-31T23:59:59-12:00"])
def test_a_date_without_zone_unreadable_or_out_of_range_becomes_null_and_is_said(raw):
    """Read once, at extraction: the page's own text is what the spider counts and logs."""
    from newscrawl.pages import extract_article

    html = ('<html><head><script type="application/ld+json">{"@type":"NewsArticle","headline":"Judul",'
            f'"dateModified":"{raw}"}}</script></head><body><h1 id="arttitle">Judul</h1></body></html>')
    page = extract_article(html, URL)
    assert page.fields["updated_at"] is None and page.unreadable_dates == {"updated_at": raw}


@pytest.mark.parametrize("raw, names", [
    (["Penulis: Nama Penulis\t\t"], ["Nama Penulis"]),
    (["Reporter: Ani"], ["Ani"]),
    (["Laporan Wartawan Tribunnews.com, Fahdi Fahlevi"], ["Fahdi Fahlevi"]),
    (["Ani dan Budi"], ["Ani", "Budi"]),
    (["Ani/Budi"], ["Ani", "Budi"]),
    (["Ani, Budi"], ["Ani", "Budi"]),
    (["Ani", "ani", "BUDI"], ["Ani", "BUDI"]),
    ("Ani dan Budi", ["Ani", "Budi"]),
    (["irwan sy"], ["irwan sy"]),
])
def test_authors_are_split_deduplicated_and_keep_their_capitals(crawler, raw, names):
    assert normalize(crawler, authors=raw).authors == names


def test_text_fields_tags_section_and_urls_are_normalized(crawler):
    item = normalize(
        crawler, url="http://m.tribunnews.com/amp/nasional/2020/05/04/judul/?page=2&utm_source=fb#a",
        title="  Judul\u200b\u00a0Berita ", tags=[" PSBB ", "psbb", "Jakarta", ""], section="Sains & Teknologi",
        related_urls=["https://www.tribunnews.com/a/2020/01/01/b?utm_medium=x", URL],
        body="Caf\u0065\u0301 buka.\u00a0\n\n\n\n\u200bParagraf  dua.", image_caption="\t")
    assert item.url == URL and item.title == "Judul Berita"
    assert item.tags == ["PSBB", "Jakarta"] and item.section == "sains-teknologi"
    assert item.related_urls == ["https://www.tribunnews.com/a/2020/01/01/b"]
    assert item.body == "Caf\u00e9 buka.\n\nParagraf dua." and item.image_caption is None
    assert item.word_count == 4 and len(item.content_hash) == 64
    assert datetime.fromisoformat(item.crawled_at).utcoffset().total_seconds() == 0


def test_clean_text_fast_paths_agree_with_the_plain_definition():
    """clean_text skips work for ASCII text; it must give what the three plain steps give."""
    def plain(text: str) -> str:
        text = re.sub("[\u200b\u200c\u200d\u2060\ufeff\u00ad]", "", unicodedata.normalize("NFC", text))
        text = re.sub(r"[ \t\r\n\f\v\u00a0\u2000-\u200a\u202f\u205f\u3000]+", " ", text)
        return re.sub(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]", "", text).strip()

    alphabet = ["a", "B", " ", "  ", "\t", "\n", "\r", "\x0b", "\x0c", "\x01", "\x1c", "\x1f", "\x7f",
                "\u00a0", "\u200b", "\u2003", "e\u0301", "\u0085", "é", "\u3000"]
    rng = random.Random(7)
    for _ in range(3000):
        text = "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 12)))
        assert clean_text(text) == plain(text), repr(text)


def test_boilerplate_in_the_body_is_removed_or_moved_to_its_field(crawler):
    item = normalize(crawler, authors=["Ani"], source=None, body=(
        "Laporan Wartawan Tribunnews.com, Budi Santoso\n\nTRIBUNNEWS.COM, JAKARTA - Isi.\n\n"
        "Baca juga: Berita lain\n\nHalaman 2 dari 3\n\nRekomendasi untuk Anda\n\n"
        "Artikel ini telah tayang di Surya.co.id dengan judul Isi"))
    assert item.body == "TRIBUNNEWS.COM, JAKARTA - Isi."
    assert item.authors == ["Ani", "Budi Santoso"] and item.source == "Surya.co.id"


def test_a_careless_text_dump_loses_its_chrome_lines(crawler):
    item = normalize(crawler, body="Paragraf.\nHalaman 2 dari 3\nRekomendasi untuk Anda\nIkuti kami di\nAA")
    assert item.body == "Paragraf."


def test_malformed_values_do_not_crash(crawler):
    item = normalize(crawler, title=["Judul", None], authors=None, tags="PSBB", related_urls=None,
                     published_at=20200504, body=None, article_id=4962183)
    assert (item.title, item.authors, item.tags, item.article_id) == ("Judul", [], ["PSBB"], "4962183")
    assert item.body is None and item.published_at is None


# ---- validate ------------------------------------------------------------------------------

@pytest.mark.parametrize("missing", ["url", "title", "body", "published_at"])
def test_an_article_missing_a_required_field_is_dropped_and_counted(crawler, missing):
    with pytest.raises(DropItem) as dropped:
        ValidatePipeline.from_crawler(crawler).process_item(article(**{missing: None}))
    assert missing in str(dropped.value) and dropped.value.log_level == "INFO"
    assert crawler.stats.get_value(f"newscrawl/dropped/missing_{missing}") == 1


def test_each_missing_field_has_its_own_stat(crawler):
    with pytest.raises(DropItem):
        ValidatePipeline.from_crawler(crawler).process_item(Article())
    stats = crawler.stats.get_stats()
    assert all(stats[f"newscrawl/dropped/missing_{f}"] == 1 for f in ("url", "title", "body", "published_at"))
    assert stats["newscrawl/dropped/invalid"] == 1


# ---- deduplicate -----------------------------------------------------------------------------

def test_one_item_per_url_and_per_article_id_within_a_run(crawler):
    dedup = DeduplicatePipeline.from_crawler(crawler)
    dedup.process_item(article(article_id="4962183"))
    with pytest.raises(DropItem):
        dedup.process_item(article())
    with pytest.raises(DropItem):  # same site and id, another URL (the old date-style one)
        dedup.process_item(article(url="https://www.tribunnews.com/nasional/4962183/judul", article_id="4962183"))
    dedup.process_item(article(url="https://solo.tribunnews.com/2020/05/04/judul", site="solo.tribunnews.com",
                               article_id="4962183"))  # ids are per site
    assert crawler.stats.get_value("newscrawl/dropped/duplicate_in_run") == 2


def test_an_article_exported_by_an_earlier_run_is_dropped(tmp_path):
    first = project_crawler(tmp_path)
    ledger = RunLedger.of(first)
    DeduplicatePipeline.from_crawler(first).process_item(article(article_id="1"))
    ledger.item_scraped(article(article_id="1"))
    ledger.feed_exporter_closed()  # the feed is finalized: now it counts as exported
    second = project_crawler(tmp_path)
    assert ArticleState.of(second).known(URL) == "known"
    with pytest.raises(DropItem):
        DeduplicatePipeline.from_crawler(second).process_item(article(url=URL + "-baru", article_id="1"))
    assert second.stats.get_value("newscrawl/dropped/duplicate_earlier_run") == 1


def test_an_article_stored_before_versions_were_kept_is_known_and_never_revisited(tmp_path):
    from newscrawl.dedup.store import ExportedArticle, SqliteArticleStore, article_keys

    store = SqliteArticleStore(tmp_path / "state" / "articles.sqlite3")
    # As an old journal or store holds it: keys, URL, SimHash; no version.
    store.record([ExportedArticle(article_keys(URL, "www.tribunnews.com", "1"), URL, None, None)])
    store.close()
    state = ArticleState.of(project_crawler(tmp_path))
    assert state.known(URL, lastmod="2030-01-01T00:00:00+07:00") == "known"
    with pytest.raises(DropItem, match="already exported"):
        DeduplicatePipeline.from_crawler(state.crawler).process_item(article(article_id="1"))


def test_nothing_is_recorded_when_the_feed_failed(tmp_path):
    first = project_crawler(tmp_path)
    ledger = RunLedger.of(first)
    ledger.item_scraped(article())
    first.stats.inc_value("feedexport/failed_count/AtomicFileFeedStorage")
    ledger.feed_exporter_closed()
    assert first.stats.get_value("newscrawl/state/not_recorded") == 1
    assert ArticleState.of(project_crawler(tmp_path)).known(URL) == "new"


def test_incremental_off_keeps_no_store(tmp_path):
    crawler = project_crawler(tmp_path, NEWSCRAWL_INCREMENTAL=False)
    assert ArticleState.of(crawler).store is None
    assert not (tmp_path / "state").exists()


# ---- near duplicates ---------------------------------------------------------------------------

def near(crawler) -> NearDuplicatePipeline:
    return NearDuplicatePipeline.from_crawler(crawler)


def test_a_syndicated_copy_is_marked_with_the_first_seen_url(crawler):
    pipeline = near(crawler)
    original = normalize(crawler, body=f"TRIBUNNEWS.COM, JAKARTA - {LONG}")
    copy = normalize(crawler, url="https://surabaya.tribunnews.com/2020/05/04/judul",
                     body=f"SURYA.CO.ID, JAKARTA - {LONG}")
    assert pipeline.process_item(original).duplicate_of is None
    assert pipeline.process_item(copy).duplicate_of == URL
    assert crawler.stats.get_value("newscrawl/near_duplicates") == 1


def republications(*crawlers) -> tuple[Article, Article, Article]:
    """One story met in this order: a 09:00 republication, the 08:00 original, a 10:00 one
    (normalized by the given crawlers' pipelines, one crawler or one each)."""
    found = []
    for (host, hour), crawler in zip((("jateng", "09"), ("solo", "08"), ("jogja", "10")), crawlers * 3):
        found.append(normalize(crawler, url=f"https://{host}.tribunnews.com/2020/05/04/judul", body=LONG,
                               published_at=f"2020-05-04T{hour}:00:00+07:00"))
    return tuple(found)


def test_the_earliest_published_copy_is_the_original_whatever_the_crawl_met_first(tmp_path):
    crawler = project_crawler(tmp_path, NEWSCRAWL_NEAR_DUPLICATES="drop")
    pipeline = near(crawler)
    jateng, solo, later = republications(crawler)
    assert pipeline.process_item(jateng).duplicate_of is None  # nothing else seen yet
    assert pipeline.process_item(solo).duplicate_of is None  # earlier: the original, kept
    with pytest.raises(DropItem, match="near duplicate of https://solo"):
        pipeline.process_item(later)  # a later copy points to the original
    # Jateng, exported before its original came, is left out of this run's files at the commit.
    assert Copies.of(crawler).superseded == [(["https://jateng.tribunnews.com/2020/05/04/judul"],
                                              "https://solo.tribunnews.com/2020/05/04/judul", "drop")]
    assert crawler.stats.get_value("newscrawl/near_duplicates/original_after_copy") is None  # within a run


def test_a_copy_that_names_another_site_as_its_source_is_never_the_original(crawler):
    pipeline = near(crawler)
    solo = normalize(crawler, url="https://solo.tribunnews.com/2020/05/04/judul", body=LONG,
                     published_at="2020-05-04T08:00:00+07:00")
    jateng = normalize(crawler, url="https://jateng.tribunnews.com/2020/05/04/judul", body=LONG,
                       published_at="2020-05-04T08:00:00+07:00", source="TribunSolo.com")
    pipeline.process_item(solo)
    assert pipeline.process_item(jateng).duplicate_of == "https://solo.tribunnews.com/2020/05/04/judul"


def test_drop_mode_drops_the_copy(tmp_path):
    crawler = project_crawler(tmp_path, NEWSCRAWL_NEAR_DUPLICATES="drop")
    pipeline = near(crawler)
    pipeline.process_item(normalize(crawler, body=LONG))
    with pytest.raises(DropItem):
        pipeline.process_item(normalize(crawler, url=URL + "-2", body=LONG))
    assert crawler.stats.get_value("newscrawl/dropped/near_duplicate") == 1


def test_off_mode_disables_the_pipeline(tmp_path):
    from scrapy.exceptions import NotConfigured

    with pytest.raises(NotConfigured):
        near(project_crawler(tmp_path, NEWSCRAWL_NEAR_DUPLICATES="off"))


def test_simhash_is_the_plain_majority_vote_of_shingle_digests():
    """Stores keep SimHashes across runs: the fast bit counting must not change a value."""
    def plain(text: str) -> int:
        words = re.findall(r"\w+", text.casefold())
        grams = {" ".join(words[i:i + 3]) for i in range(max(1, len(words) - 2))}
        digests = [int.from_bytes(hashlib.blake2b(g.encode(), digest_size=8).digest(), "big") for g in grams]
        return sum(1 << bit for bit in range(64)
                   if sum(d >> bit & 1 for d in digests) > len(digests) / 2)

    rng = random.Random(5)
    words = "banjir merendam rumah warga di kabupaten kudus pada senin pagi harga emas naik".split()
    texts = ["", "satu", "dua kata"] + [" ".join(rng.choices(words, k=rng.randint(3, 300))) for _ in range(50)]
    assert [simhash(t) for t in texts] == [plain(t) for t in texts]


def test_short_and_different_bodies_are_not_copies(crawler):
    pipeline = near(crawler)
    pipeline.process_item(normalize(crawler, body="Singkat saja."))
    assert pipeline.process_item(normalize(crawler, url=URL + "-2", body="Singkat saja.")).duplicate_of is None
    pipeline.process_item(normalize(crawler, url=URL + "-3", body=LONG))
    other = " ".join(f"lain{i}" for i in range(80))
    assert pipeline.process_item(normalize(crawler, url=URL + "-4", body=other)).duplicate_of is None
