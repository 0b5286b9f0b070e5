"""Pure normalization functions: text, paragraphs, authors, tags, sections, hashes
(Indonesian dates: newscrawl/text/dates.py).

Every function here is deterministic and side-effect free; the doctests are the spec.
"""
from __future__ import annotations

import hashlib
import re
import unicodedata
from typing import Any, Iterable, NamedTuple

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


# What a spreadsheet takes for the start of a formula (CSV injection).
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def neutralise(value: Any) -> Any:
    """A cell a spreadsheet will not run: text starting with = + - @ tab or CR gets a ``'``.

    >>> neutralise("=HYPERLINK(1)"), neutralise("-5 derajat"), neutralise("Jakarta"), neutralise(True)
    ("'=HYPERLINK(1)", "'-5 derajat", 'Jakarta', 'true')
    """
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str) and value.startswith(FORMULA_START):
        return "'" + value
    return value
