"""Pure normalization functions: text, Indonesian dates, authors, tags, sections.

Every function here is deterministic and side-effect free; the doctests are the spec.
"""
from __future__ import annotations

import hashlib
import re
import unicodedata
import warnings
from datetime import datetime, timedelta, timezone
from typing import Iterable, NamedTuple

from dateutil import parser as du_parser

WIB = timezone(timedelta(hours=7))
ZONES = {"WIB": 7 * 3600, "WITA": 8 * 3600, "WIT": 9 * 3600}

_INVISIBLE = re.compile("[\u200b\u200c\u200d\u2060\ufeff\u00ad]")
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")
_SPACE_CHARS = r"\t\r\n\f\v\u00a0\u2000-\u200a\u202f\u205f\u3000"
# Runs of 2+ spaces or any other space character: a lone " " (most of them) is left
# alone instead of being replaced by itself.
_SPACES = re.compile(rf"[ {_SPACE_CHARS}]{{2,}}|[{_SPACE_CHARS}]")
# ASCII control characters that str.split() does not treat as spaces.
_ASCII_CONTROL = re.compile(r"[\x00-\x08\x0e-\x1f\x7f]")


def clean_text(text: str | None) -> str:
    """One line of text: NFC, no nbsp/zero-width/control characters, single spaces.

    >>> clean_text("  Jakarta\\u00a0-\\u200b  Hujan\\tderas \\n")
    'Jakarta - Hujan deras'
    >>> clean_text("a\\x01 \\r\\n b") == clean_text("a\\x01  b") == "a b"
    True
    >>> clean_text(None)
    ''
    """
    if not text:
        return ""
    if text.isascii():  # already NFC, no invisible characters: the common case, made fast
        if not _ASCII_CONTROL.search(text):
            return " ".join(text.split())
    else:
        text = _INVISIBLE.sub("", unicodedata.normalize("NFC", text))
    text = _SPACES.sub(" ", text)
    return _CONTROL.sub("", text).strip()


def join_paragraphs(paragraphs: Iterable[str]) -> str:
    """Body text: cleaned non-empty paragraphs separated by one blank line.

    >>> join_paragraphs(["Satu.", "  ", "Dua\\n kalimat."])
    'Satu.\\n\\nDua kalimat.'
    """
    return "\n\n".join(p for p in (clean_text(p) for p in paragraphs) if p)


# ---- paragraphs of the body ---------------------------------------------------------
TEXT, DROP, BYLINE, SYNDICATION = "text", "drop", "byline", "syndication"
RELATED_LABEL = re.compile(r"^(baca(\s+(juga|selengkapnya))?|simak(\s+juga)?|lihat juga)\b\s*:", re.I)
_CHROME = re.compile("|".join([
    r"halaman\s+\d+\s*(dari|/)\s*\d+", r"halaman\s+(selanjutnya|sebelumnya|berikutnya)\b.*",
    r"rekomendasi untuk anda|ikuti kami di|aa|berita terkini|ringkasan berita:?|lihat foto",
    r"©.*", r"(editor|penulis|sumber)\s*:.*", r"all rights? reserved.*",
]), re.I)
_BYLINE = re.compile(
    r"^laporan\s+(?:wartawan|reporter|kontributor|koresponden)\b[^,]{0,80},\s*(.{2,80})$", re.I)
_SYNDICATED = re.compile(
    r"^artikel ini (?:telah )?(?:tayang|terbit|dimuat) di\s+(\S+?)\.?(?:\s+dengan judul\b.*)?$", re.I)


def classify_paragraph(text: str, first: bool = False) -> tuple[str, str | None]:
    """What a body paragraph is: article text, page chrome, a byline or a syndication note.

    Bylines count only as the first paragraph; the value is the author or source named.

    >>> classify_paragraph("Halaman 2 dari 3")
    ('drop', None)
    >>> classify_paragraph("Baca juga: Harga Emas Naik")
    ('drop', None)
    >>> classify_paragraph("Laporan Wartawan Tribunnews.com, Fahdi Fahlevi", first=True)
    ('byline', 'Fahdi Fahlevi')
    >>> classify_paragraph("Artikel ini telah tayang di Surya.co.id dengan judul Banjir")
    ('syndication', 'Surya.co.id')
    >>> classify_paragraph("Editor menilai rancangan itu terlalu cepat.")
    ('text', None)
    """
    if _CHROME.fullmatch(text) or RELATED_LABEL.match(text):
        return DROP, None
    if first and (byline := _BYLINE.match(text)):
        return BYLINE, byline.group(1)
    if syndicated := _SYNDICATED.match(text):
        return SYNDICATION, syndicated.group(1)
    return TEXT, None


class IndonesianParserInfo(du_parser.parserinfo):
    """dateutil names for Indonesian weekdays, months (with old spellings) and zones."""

    WEEKDAYS = [("Sen", "Senin"), ("Sel", "Selasa"), ("Rab", "Rabu"), ("Kam", "Kamis"),
                ("Jum", "Jumat"), ("Sab", "Sabtu"), ("Min", "Minggu", "Ahad")]
    MONTHS = [("Jan", "Januari"), ("Feb", "Peb", "Februari", "Pebruari"), ("Mar", "Maret"),
              ("Apr", "April"), ("Mei",), ("Jun", "Juni"), ("Jul", "Juli"),
              ("Agu", "Agt", "Ags", "Agustus"), ("Sep", "Sept", "September"),
              ("Okt", "Oktober"), ("Nov", "Nop", "November", "Nopember"),
              ("Des", "Desember")]
    JUMP = du_parser.parserinfo.JUMP + ["pukul", "pkl", "jam"]

    def __init__(self) -> None:
        super().__init__(dayfirst=True)


_PARSERINFO = IndonesianParserInfo()
_LABEL = re.compile(r"^\s*(tayang|diperbarui|update[d]?|dipublikasikan|published)\s*:?\s*", re.I)
_SENTINEL = datetime(1, 1, 1)


def parse_date(text: str | None, default_tz: timezone | None = None) -> str | None:
    """ISO 8601 with offset from an ISO string or an Indonesian visible date.

    A time without a zone takes ``default_tz``; without one it is not guessed (None).

    >>> parse_date("Senin, 4 Mei 2020 04:25 WIB")
    '2020-05-04T04:25:00+07:00'
    >>> parse_date("Jum'at, 7 Pebruari 2020 13:05 WITA")
    '2020-02-07T13:05:00+08:00'
    >>> parse_date("Tayang: Kamis, 3 Agt 2023 19:26 WIT")
    '2023-08-03T19:26:00+09:00'
    >>> parse_date("2020-05-04T04:25:13+07:00")
    '2020-05-04T04:25:13+07:00'
    >>> parse_date("2026-07-24T12:40+07:00")
    '2026-07-24T12:40:00+07:00'
    >>> parse_date("2020-05-04 04:25:13", default_tz=WIB)
    '2020-05-04T04:25:13+07:00'
    >>> parse_date("2020-05-04 04:25:13") is None
    True
    >>> parse_date("kemarin sore") is None
    True
    >>> parse_date("2024-05-01", default_tz=WIB), parse_date("2020-05-04T04:25:13+25:00")
    ('2024-05-01T00:00:00+07:00', None)
    """
    text = clean_text(text)
    if not text:
        return None
    parsed = _parse_iso(text) or _parse_visible(text)
    if parsed is None:
        return None
    if parsed.tzinfo is None:
        if default_tz is None:
            return None
        parsed = parsed.replace(tzinfo=default_tz)
    try:
        # An offset of a day or more (+25:00) cannot exist: datetime raises on it here.
        parsed.utcoffset()
        return parsed.isoformat()
    except (ValueError, OverflowError):
        return None


def _parse_iso(text: str) -> datetime | None:
    if not re.match(r"^\d{4}-\d{2}-\d{2}", text):
        return None
    try:
        return datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None


_MONTH_NUMBER = {name.lower(): n for n, names in enumerate(IndonesianParserInfo.MONTHS, 1) for name in names}
# The visible form of nearly every page ("Jumat, 19 Juni 2015 12:58 WIB"), read without
# dateutil (a fifth of the extraction time of a page without JSON-LD); anything else goes
# to dateutil.
_COMMON_VISIBLE = re.compile(r"(?:[A-Za-z']+,\s*)?(\d{1,2})\s+([A-Za-z]+)\s+(\d{4}),?\s+(\d{1,2})[:.](\d{2})"
                             r"(?:\s+(WIB|WITA|WIT))?")


def _parse_common(text: str) -> datetime | None:
    """The common visible form, or None (then dateutil tries).

    >>> _parse_common("Jumat, 19 Juni 2015 12:58 WIB"), _parse_common("4 Mei 2020 04.25")
    (datetime.datetime(2015, 6, 19, 12, 58, tzinfo=datetime.timezone(datetime.timedelta(seconds=25200))), datetime.datetime(2020, 5, 4, 4, 25))
    """
    match = _COMMON_VISIBLE.fullmatch(text)
    if match is None or (month := _MONTH_NUMBER.get(match.group(2).lower())) is None or match.group(3) == "0001":
        return None
    day, year, hour, minute, zone = int(match.group(1)), int(match.group(3)), int(match.group(4)), \
        int(match.group(5)), match.group(6)
    try:
        return datetime(year, month, day, hour, minute,
                        tzinfo=timezone(timedelta(seconds=ZONES[zone])) if zone else None)
    except ValueError:
        return None


def _parse_visible(text: str) -> datetime | None:
    text = _LABEL.sub("", text).replace("Jum'at", "Jumat").replace("Jum’at", "Jumat")
    if (common := _parse_common(text.strip())) is not None:
        return common
    try:
        with warnings.catch_warnings():
            # A word taken for an unknown zone ("ZGMT") leaves the time zone-less: None below.
            warnings.simplefilter("ignore", du_parser.UnknownTimezoneWarning)
            parsed = du_parser.parse(text, parserinfo=_PARSERINFO, tzinfos=ZONES, default=_SENTINEL)
    except (ValueError, OverflowError, du_parser.ParserError):
        return None
    if parsed.year == 1:
        return None
    return parsed


_AUTHOR_LABEL = re.compile(
    r"^\s*(?:(?:laporan\s+)?(?:wartawan|kontributor|koresponden)\b[^,:]*,|"
    r"penulis\s*:|reporter\s*:|oleh\s*:?|editor\s*:)\s*", re.I)
_AUTHOR_SPLIT = re.compile(r"\s*(?:,|/|&|\bdan\b|\band\b)\s*", re.I)


def split_authors(text: str | None) -> list[str]:
    """Author names from a credit line: labels stripped, ``A dan B``, ``A/B``, ``A, B`` split.

    >>> split_authors("Penulis: Nama Penulis\\t\\t")
    ['Nama Penulis']
    >>> split_authors("Laporan Wartawan Tribunnews.com, Fahdi Fahlevi")
    ['Fahdi Fahlevi']
    >>> split_authors("Reporter: Ani dan Budi/Citra, Dedi")
    ['Ani', 'Budi', 'Citra', 'Dedi']
    """
    text = _AUTHOR_LABEL.sub("", clean_text(text))
    return unique(n for n in _AUTHOR_SPLIT.split(text) if n)


def unique(values: Iterable[str]) -> list[str]:
    """Cleaned non-empty values, first spelling kept, repeats dropped case-insensitively.

    >>> unique(["Politik", "politik ", "", "DPR"])
    ['Politik', 'DPR']
    """
    seen: set[str] = set()
    out: list[str] = []
    for value in values:
        value = clean_text(value)
        if value and value.casefold() not in seen:
            seen.add(value.casefold())
            out.append(value)
    return out


def slug(text: str | None) -> str | None:
    """Lower-case ASCII slug of a section name.

    >>> slug("Sains & Teknologi")
    'sains-teknologi'
    >>> slug("  ") is None
    True
    """
    text = unicodedata.normalize("NFKD", clean_text(text)).encode("ascii", "ignore").decode()
    text = re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")
    return text or None


def word_count(body: str | None) -> int:
    """Words of the body text.

    >>> word_count("Satu dua.\\n\\nTiga, empat-lima!")
    4
    """
    return len(re.findall(r"\w[\w'’-]*", body or ""))


def content_hash(body: str | None) -> str | None:
    """SHA-256 (hex) of the body with case and white space folded, None without a body.

    >>> content_hash("Satu  Dua") == content_hash("satu dua")
    True
    """
    if not body:
        return None
    return hashlib.sha256(" ".join(body.casefold().split()).encode()).hexdigest()


class CleanBody(NamedTuple):
    """A normalized body and what rules moved out of it."""

    text: str | None
    byline_authors: list[str]
    syndicated_from: str | None


def normalize_body(body: str | None) -> CleanBody:
    """Paragraphs cleaned, boilerplate that slipped in removed by rule, one blank line between.

    >>> normalize_body("Laporan Wartawan Tribunnews.com, Ani\\n\\nIsi\\u00a0 berita.\\n\\n\\n"
    ...                "Baca juga: Lain\\nHalaman 2 dari 3\\n\\nArtikel ini telah tayang di Surya.co.id")
    CleanBody(text='Isi berita.', byline_authors=['Ani'], syndicated_from='Surya.co.id')
    """
    kept: list[str] = []
    authors: list[str] = []
    source = None
    for raw in re.split(r"\n\s*\n", body or ""):
        for line in raw.split("\n") if _has_chrome_line(raw) else [raw]:
            paragraph = clean_text(line)
            if not paragraph:
                continue
            kind, value = classify_paragraph(paragraph, first=not kept and not authors)
            if kind == TEXT:
                kept.append(paragraph)
            elif kind == BYLINE:
                authors.extend(split_authors(value))
            elif kind == SYNDICATION:
                source = value
    return CleanBody("\n\n".join(kept) or None, authors, source)


def _has_chrome_line(paragraph: str) -> bool:
    """True when a single line of a multi-line paragraph is chrome (a careless dump)."""
    lines = [clean_text(line) for line in paragraph.split("\n")]
    return len(lines) > 1 and any(classify_paragraph(line)[0] != TEXT for line in lines if line)


def epoch_seconds(iso: str | None) -> int | None:
    """Seconds since the epoch of an ISO 8601 time with offset (None without one).

    >>> epoch_seconds("2020-05-04T08:00:00+07:00"), epoch_seconds(None)
    (1588554000, None)
    """
    try:
        moment = datetime.fromisoformat(iso) if iso else None
        return int(moment.timestamp()) if moment is not None and moment.tzinfo is not None else None
    except (ValueError, OverflowError, TypeError):
        return None  # no such moment (year 1 less an offset, a bad string): unknown
