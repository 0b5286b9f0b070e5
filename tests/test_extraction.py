"""Extraction on fixture pages: each ``page.html`` has its expected record in ``page.json``.

The page's URL is its path under tests/fixtures/site (``host/path__query.html``).
To add a fixture, see README "Adding a fixture".
"""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from newscrawl.archive.fixture import fixture_url
from newscrawl.pages import extract_article, extract_listing, parse_sitemap
from newscrawl.pages.record import page_record
from tests.fixture_site import FIXTURE_ROOT

PAGES = sorted(p for p in FIXTURE_ROOT.rglob("*.html") if p.with_suffix(".json").exists())


def url_of(path: Path, root: Path = FIXTURE_ROOT) -> str:
    return fixture_url(path.relative_to(root))


def check_fixture(path: Path, root: Path = FIXTURE_ROOT) -> None:
    """The page extracts to its expected record, which a person has reviewed: a record
    written by ``python -m newscrawl.archive.fixture`` fails until its ``_unreviewed`` mark is gone."""
    expected = json.loads(path.with_suffix(".json").read_text(encoding="utf-8"))
    assert "_unreviewed" not in expected, (
        f"{path.with_suffix('.json')} is not reviewed yet: {expected['_unreviewed']}")
    expected.pop("_provenance", None)  # where the page came from, not a field
    assert page_record(path.read_bytes(), url_of(path, root)) == expected


# One multi-page article per template generation of docs/field-reference.md (page 2 fixtures).
GENERATIONS = {
    "2012-19 (regional)": "surabaya.tribunnews.com/2018/03/12/harga-beras-di-pasar-wonokromo-mulai-turun__page=2.html",
    "2020": "www.tribunnews.com/nasional/2020/05/04/pemerintah-perpanjang-psbb-jakarta-hingga-akhir-mei__page=2.html",
    "2021-23 (regional)": "makassar.tribunnews.com/2022/08/19/"
                          "harga-cabai-rawit-di-pasar-terong-makassar-tembus-rp-80-ribu__page=2.html",
    "2024-26": "www.tribunnews.com/internasional/7712345/ukraina-dan-nato-dalam-masalah-serius-"
               "korea-utara-buka-opsi-kirim-senjata-mematikan-ke-rusia__page=2.html",
    # Hand-made from what the live site showed on 2026-07-24 (docs/field-reference.md section 7).
    "2026": "www.tribunnews.com/nasional/7801234/dpr-sahkan-ruu-perampasan-aset-menjadi-undang-undang__page=2.html",
}


@pytest.mark.parametrize("generation", GENERATIONS)
def test_each_template_generation_has_a_checked_multi_page_fixture(generation):
    assert FIXTURE_ROOT / GENERATIONS[generation] in PAGES


@pytest.mark.parametrize("path", PAGES, ids=lambda p: str(p.relative_to(FIXTURE_ROOT)))
def test_page_extracts_to_its_expected_record(path):
    check_fixture(path)


def test_extract_command_prints_the_record_as_json():
    path = next(p for p in PAGES if "__page=2" in p.name and "makassar" in str(p))
    done = subprocess.run([sys.executable, "-m", "newscrawl.extract", "--url", url_of(path), str(path)],
                          capture_output=True, text=True, check=True)
    record = json.loads(done.stdout)
    assert record["page_number"] == 2 and len(record["page_urls"]) == 2
    assert record == json.loads(path.with_suffix(".json").read_text(encoding="utf-8"))


def test_extract_command_names_an_unreadable_file(tmp_path):
    done = subprocess.run([sys.executable, "-m", "newscrawl.extract", "--url", "https://x.tribunnews.com/a",
                           str(tmp_path / "missing.html")], capture_output=True, text=True)
    assert done.returncode == 2
    assert done.stderr.strip().endswith("No such file or directory") and "Traceback" not in done.stderr


@pytest.mark.parametrize("html", [
    b"", b"<html></html>", b"<html><body><p>unclosed <div><b>soup",
    b"\x00\x01 not html at all", "<?xml version='1.0' encoding='utf-8'?><html><body/></html>",
])
def test_missing_markup_gives_empty_fields_not_errors(html):
    page = extract_article(html, "https://www.tribunnews.com/nasional/2020/05/04/x")
    assert page.paragraphs == [] and page.page_urls == [page.url]
    assert page.fields["title"] is None and page.fields["authors"] == []
    assert page.fields["published_at"] is None


def test_broken_and_duplicate_json_ld_fall_back_to_other_sources():
    html = """<html><head>
    <script type="application/ld+json">{"@type": "NewsArticle", "headline": broken</script>
    <script type="application/ld+json">{"@type": "NewsArticle", "datePublished": "2021-03-05T10:00:00+07:00",}</script>
    <script type="application/ld+json">{"@type": "NewsArticle", "datePublished": "1999-01-01T00:00:00+07:00"}</script>
    <meta property="og:title" content="Judul Berita - TribunJogja.com"></head>
    <body><div class="side-article txt-article"><p>Isi.</p></div></body></html>"""
    page = extract_article(html, "https://jogja.tribunnews.com/2021/03/05/judul-berita")
    assert page.fields["title"] == "Judul Berita"
    assert page.fields["published_at"] == "2021-03-05T10:00:00+07:00"  # first parseable block
    assert page.paragraphs == ["Isi."]


def test_charset_declared_only_in_meta_is_honoured():
    html = ('<html><head><meta http-equiv="Content-Type" content="text/html; charset=windows-1252">'
            '</head><body><h1 id="arttitle">Kafe \u2013 caf\u00e9</h1></body></html>').encode("cp1252")
    page = extract_article(html, "https://www.tribunnews.com/x/2020/01/01/a")
    assert page.fields["title"] == "Kafe \u2013 caf\u00e9"


def test_sidebar_times_never_give_the_article_date():
    html = """<html><body><time class="timeago" title="2024-01-01 10:00:00">5 menit lalu</time>
    <h1 id="arttitle">Judul</h1><time class="grey">Rabu, 3 Januari 2024 08:00 WIT</time>
    <div><time class="timeago">Kamis, 4 Januari 2024 08:00 WIB</time></div></body></html>"""
    page = extract_article(html, "https://papua.tribunnews.com/2024/01/03/judul")
    assert page.fields["published_at"] == "2024-01-03T08:00:00+09:00"


def test_index_page_lists_its_articles_and_pagination():
    path = FIXTURE_ROOT / "www.tribunnews.com" / "index-news__date=2020-5-4.html"
    listing = extract_listing(path.read_bytes(), "https://www.tribunnews.com/index-news?date=2020-5-4")
    assert listing.article_urls == [
        "https://www.tribunnews.com/nasional/2020/05/04/kasus-covid-19-di-bekasi-bertambah?utm_source=index",
        "https://www.tribunnews.com/bisnis/2020/05/04/harga-emas-antam-naik",
        "https://www.tribunnews.com/nasional/2020/05/04/pemerintah-perpanjang-psbb-jakarta-hingga-akhir-mei"]
    # The numbered link and "Next" both lead to page 2: listed once.
    assert listing.page_urls == ["https://www.tribunnews.com/index-news?date=2020-5-4&page=2"]


def test_news_sitemap_keeps_the_news_children():
    path = FIXTURE_ROOT / "www.tribunnews.com" / "nasional" / "sitemap-news.xml"
    sitemap = parse_sitemap(path.read_bytes())
    assert sitemap.kind == "urlset" and len(sitemap.entries) == 3
    first = sitemap.entries[0]
    assert first.published_at == "2020-05-04T04:25:13+07:00"
    assert first.title == "Pemerintah Perpanjang PSBB Jakarta hingga Akhir Mei"
    index = parse_sitemap((FIXTURE_ROOT / "www.tribunnews.com" / "sitemap.xml").read_bytes())
    assert index.kind == "index" and len(index.entries) == 3


@pytest.mark.parametrize("body", [b"", b"<html>not xml", b"\x1f\x8b broken gzip", b"<rss><channel/></rss>"])
def test_anything_but_a_sitemap_is_invalid_not_an_error(body):
    assert parse_sitemap(body).kind == "invalid"


def test_gzipped_sitemap_is_read():
    import gzip

    raw = (FIXTURE_ROOT / "www.tribunnews.com" / "sitemap.xml").read_bytes()
    assert parse_sitemap(gzip.compress(raw)).kind == "index"


def hostile_pages(count: int = 40):
    """Seeded hostile HTML: deep nesting, huge attributes, broken JSON-LD of every kind, junk."""
    import random

    rng = random.Random(11)
    broken_ld = ["{", "[" * 3000 + "]" * 3000, '{"@graph": ' * 900 + "1" + "}" * 900, "1e99999", "NaN",
                 '"just a string"', '{"@type": ["NewsArticle"], "datePublished": {"x": [1, 2]}, "author": 5}',
                 '{"@type": "NewsArticle", "headline": null, "image": [[[]]], "keywords": 7}',
                 '[{"@graph": [{"@type": "BreadcrumbList", "itemListElement": "x"}]}]', "\x00\x01\x02", "{}" * 5000]
    for n in range(count):
        depth = rng.choice([10, 300, 1500, 3000])
        tag = rng.choice(["div", "b", "p", "table", "span", "li"])
        parts = ["<html><head>",
                 f'<script type="application/ld+json">{rng.choice(broken_ld)}</script>',
                 f"<script>dataLayer = [{{'idArticle': '{'9' * rng.randint(1, 5000)}', 'publish_date': 'x'}}];</script>",
                 f'<meta property="og:image" content="{"x" * rng.randint(0, 300_000)}">',
                 f'<link rel="canonical" href="{rng.choice(["file:///etc/passwd", "javascript:1", "http://[::1", ""])}">',
                 '</head><body><h1 id="arttitle">Judul</h1>',
                 f'<time datetime="{rng.choice(["99999-99-99", "2020-13-45T99:99", "", "x" * 1000])}">',
                 rng.choice(["Senin, 31 Februari 2020 25:61 WIB", "\ufffd" * 100, ""]), "</time>",
                 f'<div id="artimg"><img src="{rng.choice(["data:,", "http://", "//" * 1000])}" width="-1"></div>',
                 '<div class="side-article txt-article"><p>awal</p>',
                 f"<div class='{'c ' * rng.randint(0, 100_000)}' id='{'i' * rng.randint(0, 100_000)}'>",
                 f"<{tag} class='side-article'>" * depth, "<p>tengah</p>",
                 "<a href='?page=999999999999999999999'>2</a>" * rng.randint(0, 50),
                 "<div class='paging'>Halaman 1 dari 99999999999999999999</div>",
                 bytes(rng.getrandbits(8) for _ in range(rng.randint(0, 2000))).decode("latin-1"),
                 "</div></body></html>"]
        yield "".join(parts)


def test_extraction_never_raises_on_hostile_html():
    url = "https://www.tribunnews.com/nasional/2020/05/04/x?page=2"
    for html in hostile_pages():
        for data in (html, html.encode("utf-8", "surrogatepass")):
            record = page_record(data, url)  # no exception, whatever the input
            assert record["url"] and isinstance(record["authors"], list)
            extract_listing(data, url)
            parse_sitemap(data.encode() if isinstance(data, str) else data)


@pytest.mark.parametrize("inner, paragraphs", [
    ("Para satu.<br><br>Para dua.", ["Para satu.", "Para dua."]),  # text in <br><br> lines, no <p>
    ("<p>Awal.</p>Ekor tanpa tag.", ["Awal.", "Ekor tanpa tag."]),  # text after the last block
    ("<p>awal</p>" + "<b>" * 1500 + "<p>tengah</p><p>akhir</p>", ["awal", "tengah", "akhir"]),  # libxml2's 255
    ("<p>awal</p>" + "<div>" * 1500 + "<p>tengah</p>" + "</div>" * 1500 + "<p>akhir</p>", ["awal", "tengah", "akhir"]),
])
def test_the_whole_text_survives_whatever_its_markup(inner, paragraphs):
    html = f'<html><body><h1 id="arttitle">T</h1><div class="side-article txt-article">{inner}</div></body></html>'
    assert extract_article(html, "https://www.tribunnews.com/nasional/2020/05/04/x").paragraphs == paragraphs


def test_older_template_keywords_never_give_news_or_the_section_as_tags():
    html = """<html><head><meta name="keywords" content="news, Nasional, KPK, berita, Novel Baswedan"></head><body>
    <h1 id="arttitle">Judul</h1><div class="grey bdr3 pb10 pt10"><h3>Senin, 2 Februari 2015 08:05 WIB</h3></div>
    <div class="side-article txt-article mb20"><p>Isi berita.</p></div>
    <div class="f11 grey pb10"><div>Reporter: Ria Anatasia | Editor: Sanusi</div></div></body></html>"""
    page = extract_article(html, "https://www.tribunnews.com/nasional/2015/02/02/judul")
    assert page.fields["tags"] == ["KPK", "Novel Baswedan"] and page.fields["section"] == "nasional"
    assert page.fields["authors"] == ["Ria Anatasia"] and page.fields["editor"] == "Sanusi"
    assert page.fields["published_at"] == "2015-02-02T08:05:00+07:00"


def test_a_render_clock_alone_is_never_the_publication_time():
    html = """<html><body><div id="jam" class="pl5 grey2 tsa2 f12 pb5" title="2015-06-19T13:05:17+07:00">Jumat, 19 Juni 2015</div>
    <h1 id="arttitle">Judul</h1><div class="side-article txt-article"><p>Isi.</p></div>
    <ul class="sidebar"><li><time class="timeago" title="2015-06-19 12:40:00">25 menit lalu</time></li></ul></body></html>"""
    assert extract_article(html, "https://www.tribunnews.com/nasional/2015/06/19/judul").fields["published_at"] is None


@pytest.mark.parametrize("head, body, expected", [
    ('<meta property="android:app_id" content="7801567">', "", "7801567"),  # no share widget
    ("", '<div class="share-wrapper" data-content-id="7801567"></div>', "7801567"),
    ('<meta property="android:app_id" content="com.tribunnews.app">', "", None),  # not an id
])
def test_a_dated_url_takes_its_id_from_the_share_widget_or_the_app_meta(head, body, expected):
    url = "https://www.tribunnews.com/internasional/2026/07/24/judul"
    html = f"<html><head>{head}</head><body><h1 id='arttitle'>Judul</h1>{body}</body></html>"
    assert extract_article(html, url).fields["article_id"] == expected


@pytest.mark.parametrize("value, expected", [("false", False), ('"False"', False), ("true", True),
                                             ('"yes"', None), ("null", None)])
def test_free_access_reads_is_accessible_for_free(value, expected):
    html = ('<html><head><script type="application/ld+json">{"@type": "NewsArticle", '
            f'"isAccessibleForFree": {value}}}</script></head><body></body></html>')
    assert extract_article(html, "https://www.tribunnews.com/bisnis/7801890/x").fields["free_access"] is expected
