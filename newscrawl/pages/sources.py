"""The machine-readable sources of a page, parsed once: DOM, JSON-LD, meta tags, dataLayer.

Extraction reads every field from a chain of these sources, so one missing or broken
source never loses a field. Nothing here raises on bad markup.
"""
from __future__ import annotations

import codecs
import json
import re
from functools import cached_property
from typing import Any

import lxml.html
from lxml import etree
from w3lib.encoding import html_to_unicode

from newscrawl.normalize import clean_text

_ARTICLE_TYPES = {"NewsArticle", "Article", "ReportageNewsArticle", "BlogPosting",
                  "AnalysisNewsArticle", "OpinionNewsArticle"}
_DATALAYER_PAIR = re.compile(
    r"""['"](\w+)['"]\s*:\s*(?:'((?:[^'\\]|\\.)*)'|"((?:[^"\\]|\\.)*)"|(-?\d+))""")
_TRAILING_COMMA = re.compile(r",\s*([}\]])")


def _cp1252_fallback(error: UnicodeDecodeError) -> tuple[str, int]:
    """Read bytes that are not UTF-8 as Windows-1252 (the usual culprit in mixed pages)."""
    bad = error.object[error.start:error.end]
    return bad.decode("cp1252", errors="ignore") or bad.decode("latin-1"), error.end


codecs.register_error("newscrawl-cp1252", _cp1252_fallback)


def decode_html(body: bytes, content_type: bytes | str | None = None) -> str:
    r"""Text of an HTML body: BOM, then the header's charset, then ``<meta>``, then UTF-8.

    A page whose chosen charset is UTF-8 but that holds stray Windows-1252 bytes (a
    wrong header, mixed encodings) keeps those characters instead of losing them.

    >>> decode_html("<p>café – ".encode() + "café".encode("cp1252"), b"text/html; charset=utf-8")
    '<p>café – café'
    >>> decode_html('<meta charset="windows-1252"><p>café'.encode("cp1252"))
    '<meta charset="windows-1252"><p>café'
    >>> decode_html(b"\xef\xbb\xbf<p>caf\xc3\xa9", b"text/html; charset=iso-8859-1")
    '<p>café'
    """
    if isinstance(content_type, bytes):
        content_type = content_type.decode("latin-1")
    encoding, text = html_to_unicode(content_type, body)
    if encoding.replace("-", "").lower() in ("utf8", "utf8sig") and "\ufffd" in text:
        start = 3 if body.startswith(codecs.BOM_UTF8) else 0
        text = body[start:].decode("utf-8", errors="newscrawl-cp1252")
    return text


def parse_html(html: str | bytes) -> lxml.html.HtmlElement:
    """An lxml tree of any HTML, however broken (an empty document for empty input)."""
    if isinstance(html, bytes):
        html = decode_html(html)
    # lxml refuses str input that carries an XML encoding declaration.
    html = re.sub(r"^\s*<\?xml[^>]*>", "", html)
    if not html.strip():
        html = "<html></html>"
    try:
        return lxml.html.document_fromstring(html)
    except (etree.ParserError, ValueError):
        return lxml.html.document_fromstring("<html></html>")


def text_of(element: Any) -> str:
    """Clean one-line text of an element (or a string from an XPath), '' for None."""
    if element is None:
        return ""
    if isinstance(element, str):
        return clean_text(element)
    return clean_text(" ".join(element.itertext()))


def has_class(*names: str) -> str:
    """XPath predicate matching elements that carry all these CSS classes."""
    return " and ".join(
        f"contains(concat(' ', normalize-space(@class), ' '), ' {name} ')" for name in names)


class PageSources:
    """One parsed page and its structured data, each parsed lazily and at most once."""

    def __init__(self, html: str | bytes, url: str) -> None:
        self.url = url
        self.tree = parse_html(html)

    def first(self, xpath: str) -> Any:
        """The first XPath result, or None."""
        found = self.tree.xpath(xpath)
        return found[0] if found else None

    @cached_property
    def jsonld(self) -> list[dict]:
        """All JSON-LD objects of the page, ``@graph`` members and lists flattened."""
        objects: list[dict] = []
        for script in self.tree.xpath("//script[@type='application/ld+json']"):
            data = _load_json(script.text or "")
            stack = data if isinstance(data, list) else [data]
            while stack:
                obj = stack.pop(0)
                if isinstance(obj, list):
                    stack.extend(obj)
                elif isinstance(obj, dict):
                    objects.append(obj)
                    stack.extend(obj.get("@graph") or [])
        return objects

    def jsonld_of(self, types: set[str]) -> dict:
        """The first JSON-LD object whose ``@type`` is one of ``types`` ({} if none)."""
        for obj in self.jsonld:
            kind = obj.get("@type")
            kinds = set(kind) if isinstance(kind, list) else {kind}
            if kinds & types:
                return obj
        return {}

    @cached_property
    def article_ld(self) -> dict:
        """The page's NewsArticle (or Article) JSON-LD object."""
        return self.jsonld_of(_ARTICLE_TYPES)

    @cached_property
    def meta(self) -> dict[str, str]:
        """``<meta name|property=... content=...>`` by lower-cased key, first one wins."""
        found: dict[str, str] = {}
        for el in self.tree.xpath("//meta[@content][@name or @property or @itemprop]"):
            key = (el.get("property") or el.get("name") or el.get("itemprop")).lower()
            found.setdefault(key, el.get("content"))
        return found

    @cached_property
    def datalayer(self) -> dict[str, str]:
        """Key/values of the page's ``dataLayer = [{...}]`` script (first value wins)."""
        found: dict[str, str] = {}
        for script in self.tree.xpath("//script[contains(., 'dataLayer')]/text()"):
            for key, single, double, number in _DATALAYER_PAIR.findall(script):
                found.setdefault(key, clean_text(single or double or number))
        return found


def _load_json(text: str) -> Any:
    """JSON-LD as published: raw newlines in strings and trailing commas tolerated."""
    text = text.strip().rstrip(";")
    for candidate in (text, _TRAILING_COMMA.sub(r"\1", text)):
        try:
            return json.loads(candidate, strict=False)
        except ValueError:
            continue
    return None
