"""The machine-readable sources of a page, parsed once: DOM, JSON-LD, meta tags, dataLayer.

Extraction reads every field from a chain of these sources, so one missing or broken
source never loses a field. Nothing here raises on bad markup.
"""
from __future__ import annotations

import codecs
import json
import re
from functools import cached_property, lru_cache
from typing import Any, Callable

from lxml import etree
from w3lib.encoding import html_to_unicode

from newscrawl.text.normalize import clean_text

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


# Links taken from one page at most (article links of a listing, its pager, "Baca juga"
# links, an article's pager): a hostile page holds 10^5. NEWSCRAWL_MAX_LINKS_PER_PAGE.
MAX_LINKS = 2000

# No ID table (collect_ids): PageSources indexes ids itself, and building it costs ~3%.
# huge_tree: libxml2 otherwise stops at 255 nested elements and silently drops the rest
# of the page (tag soup with hundreds of unclosed <b> does that).
_PARSER = etree.HTMLParser(no_network=True, collect_ids=False, huge_tree=True)


def parse_html(html: str | bytes) -> etree._Element:
    """An lxml tree of any HTML, however broken (an empty document for empty input)."""
    if isinstance(html, bytes):
        html = decode_html(html)
    # lxml refuses str input that carries an XML encoding declaration.
    html = re.sub(r"^\s*<\?xml[^>]*>", "", html)
    if not html.strip():
        html = "<html></html>"
    try:
        # Plain lxml elements: lxml.html's element classes cost a Python call per element.
        root = etree.fromstring(html, _PARSER)
    except (etree.ParserError, etree.XMLSyntaxError, ValueError):
        root = None
    return root if root is not None else etree.fromstring("<html></html>", _PARSER)


def text_content(element: etree._Element) -> str:
    """All text inside an element (what lxml.html calls text_content)."""
    return "".join(element.itertext())


def text_of(element: Any) -> str:
    """Clean one-line text of an element (or a string from an XPath), '' for None."""
    if element is None:
        return ""
    if isinstance(element, str):
        return clean_text(element)
    return clean_text(" ".join(element.itertext()))


def leading_text(element: Any, length: int = 16, max_nodes: int = 64) -> str:
    """The start of ``text_of(element)`` (at least ``length`` characters of text when it
    has them), without reading all of it: labels such as "Sumber:" or "Baca juga:" stand
    at the start, and the element may be a long paragraph or the whole page.

    At most ``max_nodes`` elements are looked into: asked of every element of a page
    nested thousands deep with no text, an unbounded walk costs the square of the depth.

    >>> leading_text(etree.fromstring("<p><b>Penulis</b>: Budi <i>Santoso</i> dan kawan-kawan</p>"))
    'Penulis : Budi Santoso'
    >>> leading_text(etree.fromstring("<div>" + "<div>" * 100 + "Penulis: X" + "</div>" * 101))
    ''
    """
    pieces: list[str] = []
    taken = nodes = 0
    for event, node in etree.iterwalk(element, events=("start", "end")):
        if event == "start":
            nodes += 1
            if nodes > max_nodes:
                break
            piece = node.text if isinstance(node.tag, str) else None  # not a comment's text
        else:
            piece = node.tail if node is not element else None
        if piece:
            pieces.append(piece)
            taken += len(piece.strip())
            if taken >= length:
                break
    return clean_text(" ".join(pieces))  # joined as text_of joins them


def class_has(element: Any, token: str) -> bool:
    """Whether an element's ``class`` attribute holds this token.

    >>> class_has(etree.fromstring('<p class="baca  x"/>'), "baca"), class_has(etree.fromstring("<p/>"), "baca")
    (True, False)
    """
    classes = element.get("class")
    return bool(classes) and token in classes.split()


def has_class(*names: str) -> str:
    """XPath predicate matching elements that carry all these CSS classes.

    The plain ``contains`` first is a cheap filter: most elements fail it, and only the
    few that pass pay for the exact token test.
    """
    return " and ".join(
        f"contains(@class, '{name}') and contains(concat(' ', normalize-space(@class), ' '), ' {name} ')"
        for name in names)


@lru_cache(maxsize=None)
def compiled(xpath: str) -> etree.XPath:
    """A compiled XPath, kept: compiling costs more than running on a page."""
    return etree.XPath(xpath)


# One walk over the elements of these tags (filtered in C, so fast) finds every element
# extraction starts from; the rest are small local searches under those. A `//*[...]`
# search per field would test every element of the page (100+ KB of sidebars and
# scripts) against an XPath predicate a dozen times over; libxml2's XPath is slower
# still than this walk. Only elements of _MARKED_TAGS are looked at in Python, and
# only when they have attributes: the sidebars' hundreds of <a>, <li> and <img> are not.
_MARKED_TAGS = ("div", "h1", "h2", "h4", "h5", "ul", "ol", "article")
_KEPT_TAGS = ("meta", "link", "script", "title", "time", "article")
_LANDMARK_CLASSES = frozenset(
    "side-article txt-article mb5 tagcloud3 paging pagination-wrap hide lsi share-wrapper".split())
# A C-speed test that rules out most class attributes ("thumb", "item", ...) before any split.
_MAY_HAVE_LANDMARK_CLASS = re.compile("|".join(sorted(_LANDMARK_CLASSES, key=len, reverse=True))).search


def ld_str(value) -> str | None:
    """A JSON-LD value as text (first of a list, ``name`` of an object)."""
    if isinstance(value, list):
        value = value[0] if value else None
    if isinstance(value, dict):
        value = value.get("name") or value.get("url") or value.get("@id")
    return clean_text(str(value)) if value is not None else None


class PageSources:
    """One parsed page and its structured data, each parsed lazily and at most once."""

    def __init__(self, html: str | bytes, url: str) -> None:
        self.url = url
        self.tree = parse_html(html)
        self.memo: dict[str, Any] = {}  # what one field's extraction found, for another's
        self._ids: dict[str, Any] = {}
        self._tags: dict[str, list] = {tag: [] for tag in _KEPT_TAGS}
        self._classes: dict[str, list] = {}
        self._marked: list = []  # elements with itemtype or itemprop (microdata)
        for element in self.tree.iter(*_KEPT_TAGS):
            self._tags[element.tag].append(element)
        for element in self.tree.iter(*_MARKED_TAGS):
            for name, value in element.items():  # one C call for all attributes
                if name == "class":
                    if _MAY_HAVE_LANDMARK_CLASS(value):
                        for token in _LANDMARK_CLASSES.intersection(value.split()):
                            self._classes.setdefault(token, []).append(element)
                elif name == "id":
                    self._ids.setdefault(value, element)
                elif (name == "itemtype" or name == "itemprop") and (
                        not self._marked or self._marked[-1] is not element):
                    self._marked.append(element)

    def by_id(self, element_id: str) -> Any:
        """The first element with this id (on a div, heading, list or article), or None."""
        return self._ids.get(element_id)

    def tagged(self, tag: str) -> list:
        """Every element of one of _KEPT_TAGS (meta, link, script, title, time, article)."""
        return self._tags.get(tag, [])

    def with_class(self, *tokens: str) -> list:
        """Landmark elements carrying all these classes (the first one from _LANDMARK_CLASSES)."""
        return [e for e in self._classes.get(tokens[0], [])
                if set(tokens[1:]) <= set((e.get("class") or "").split())]

    def with_attribute(self, name: str, fragment: str) -> list:
        """Landmark elements whose attribute contains ``fragment`` (itemtype, itemprop)."""
        return [e for e in self._marked if fragment in (e.get(name) or "")]

    @staticmethod
    def after(anchor: Any, tags: tuple[str, ...], wanted: Callable[[Any], bool] | None = None) -> Any:
        """The first element of ``tags`` after ``anchor`` in document order that is
        ``wanted``, or None. Walks forward from the anchor, so a near one is found fast."""
        node = anchor
        while node is not None:
            for sibling in node.itersiblings():
                for element in sibling.iter(*tags):
                    if wanted is None or wanted(element):
                        return element
            node = node.getparent()
        return None

    def all(self, xpath: str) -> list:
        """Every XPath result, in document order."""
        return compiled(xpath)(self.tree)

    @cached_property
    def jsonld(self) -> list[dict]:
        """All JSON-LD objects of the page, ``@graph`` members and lists flattened."""
        objects: list[dict] = []
        for script in (s for s in self.tagged("script") if s.get("type") == "application/ld+json"):
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
        for el in self.tagged("meta"):
            key = el.get("property") or el.get("name") or el.get("itemprop")
            if key and el.get("content") is not None:
                found.setdefault(key.lower(), el.get("content"))
        return found

    @cached_property
    def _datalayer(self) -> dict[str, str]:
        """Raw key/values of the page's ``dataLayer = [{...}]`` script (first value wins)."""
        found: dict[str, str] = {}
        for script in (s.text or "" for s in self.tagged("script")):
            if "dataLayer" not in script:
                continue
            for key, single, double, number in _DATALAYER_PAIR.findall(script):
                found.setdefault(key, single or double or number)
        return found

    def datalayer(self, key: str) -> str | None:
        """One cleaned ``dataLayer`` value (cleaned on demand: pages carry dozens, we read a few)."""
        return clean_text(self._datalayer.get(key)) or None


def _load_json(text: str) -> Any:
    """JSON-LD as published: raw newlines in strings and trailing commas tolerated."""
    text = text.strip().rstrip(";")
    for candidate in (text, _TRAILING_COMMA.sub(r"\1", text)):
        try:
            return json.loads(candidate, strict=False)
        except (ValueError, RecursionError):  # RecursionError: arrays nested thousands deep
            continue
    return None
