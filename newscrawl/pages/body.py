"""Article text: the paragraphs of the body container and nothing else.

The container holds ads, scripts, "Baca juga" links, paging and recommendation boxes
between the paragraphs (docs/field-reference.md section 2, Body); they are removed here, the
"Baca juga" links kept as related articles.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field

from lxml import etree

from newscrawl.network.urls import absolute_url, canonical_url
from newscrawl.pages.sources import MAX_LINKS, PageSources, class_has, leading_text, text_content
from newscrawl.text.normalize import (
    BYLINE,
    RELATED_LABEL,
    SYNDICATION,
    TEXT,
    classify_paragraph,
    clean_text,
    split_authors,
)

# Noise inside the text container. Tested in one Python walk over the container's few
# dozen elements: an XPath union of these tests walks the container once per test.
_NOISE_TAGS = frozenset("script style noscript iframe ins form button svg figure figcaption img".split())
_NOISE_ID_STARTS = ("div-", "popIn")  # ad slots (div-Inside-MediumRectangle), popIn widgets
_NOISE_CLASSES = frozenset("ads-placeholder summary-article paging pagination-wrap tagcloud3".split())
_NOISE_CLASS_PARTS = ("share", "follow", "rekomendasi", "popin", "recommend")


def _is_noise(element: etree._Element) -> bool:
    """Ads, scripts, media, paging, tags, share and recommendation widgets."""
    tag = element.tag
    if tag in _NOISE_TAGS or (tag == "table" and next(element.iter("img"), None) is not None):
        return True
    if (element.get("id") or "").startswith(_NOISE_ID_STARTS):
        return True
    classes = element.get("class")
    return bool(classes) and (not _NOISE_CLASSES.isdisjoint(classes.split())
                              or any(part in classes for part in _NOISE_CLASS_PARTS))


_BLOCKS = frozenset("p div section article blockquote ul ol li dl dt dd table tr h1 h2 h3 h4 h5 h6 "
                    "pre center header footer aside".split())
_BR = "\x00"
_BREAKS = re.compile(_BR + r"\s*" + _BR + "+")  # <br><br>: a paragraph break

@dataclass
class Body:
    """What the body container yields: text paragraphs and the lines moved out of them."""

    paragraphs: list[str] = field(default_factory=list)
    related_urls: list[str] = field(default_factory=list)
    byline_authors: list[str] = field(default_factory=list)
    syndicated_from: str | None = None


def extract_body(page: PageSources, container, max_links: int = MAX_LINKS) -> Body:
    """Paragraphs of the text ``container`` (see text_container), with its related links set apart.

    The page's tree is not changed (other fields read it too): related lines and noise
    are skipped by the walk, their tails kept, instead of being cut out of a copy.
    """
    body = Body()
    if container is None:
        return body
    skipped = _related_lines(container, page.url, body, max_links)
    skipped.update(e for e in container.iterdescendants(etree.Element) if _is_noise(e))
    holding = {a for e in skipped for a in e.iterancestors()}  # elements with skipped parts
    raw: list[str] = []
    _walk(container, raw, skipped, holding)
    for paragraph in raw:
        _keep_or_move(paragraph, body)
    return body


def text_container(page: PageSources):
    """The element holding the article text: ``div.side-article.txt-article`` or a fallback."""
    candidates = (
        [e for e in page.with_class("side-article", "txt-article") if e.tag == "div"],
        [e for e in page.with_attribute("itemprop", "articleBody")],
        [e for e in page.with_class("txt-article") if e.tag == "div"],
        page.tagged("article"),
    )
    return next((found[0] for found in candidates if found), None)


def _related_lines(container: etree._Element, base_url: str, body: Body, max_links: int) -> set:
    """The "Baca juga" lines of the text; their links (``max_links`` at most) go to
    ``body.related_urls``."""
    candidates = [e for e in container.iterdescendants(etree.Element)
                  if e.tag in _RELATED_TAGS or e.get("class") is not None]
    related = set()
    urls = set(body.related_urls)
    for para in candidates:
        if not (class_has(para, "baca") or (para.tag != "div" and _is_related_line(leading_text(para, 24)))):
            continue
        for href in (a.get("href") for a in para.iter("a") if a.get("href") is not None):
            if len(urls) >= max_links:
                break
            if (absolute := absolute_url(base_url, href)) is None:
                continue
            url = canonical_url(absolute)
            if url not in urls:
                urls.add(url)
                body.related_urls.append(url)
        related.add(para)
    return related


# "Baca juga" lines are paragraphs, list items, small headings or classed boxes.
_RELATED_TAGS = frozenset(("p", "li", "h3", "h4"))
# Every related line names one of these words: a C-speed test before the cleaning.
_MAY_BE_RELATED = re.compile("baca|simak|lihat", re.I).search


def _is_related_line(start: str) -> bool:
    """Whether a line starting with ``start`` (cleaned) is a "Baca juga:" line."""
    return bool(_MAY_BE_RELATED(start) and RELATED_LABEL.match(start))


def _walk(container: etree._Element, out: list[str], skipped: set, holding: set) -> None:
    """Split the container into paragraphs: block elements and ``<br><br>`` end one.

    Elements in ``skipped`` give only their tail; ``holding`` are inline elements with a
    skipped element inside (their text is gathered piece by piece, not in one). A loop
    with its own stack, not recursion: hostile pages nest thousands of elements deep.
    """
    buf = [container.text or ""]
    stack: list[tuple] = [(iter(container), False)]  # (children, inside inline markup)
    while stack:
        frame = stack[-1]
        if len(frame) == 3:  # an element is done: its block ends, its tail follows
            stack.pop()
            if frame[1]:
                _flush(buf, out)
            buf.append(frame[0].tail or "")
            continue
        child = next(frame[0], None)
        if child is None:
            stack.pop()
        elif not isinstance(child.tag, str) or child in skipped:
            buf.append(child.tail or "")  # a comment, noise or a related line: only its tail
        elif child.tag == "br" and not frame[1]:
            buf.extend((_BR, child.tail or ""))
        elif frame[1] or child.tag in _BLOCKS or child in holding:
            block = not frame[1] and child.tag in _BLOCKS
            if block:
                _flush(buf, out)
            buf.append(child.text or "")
            stack.extend(((child, block, "done"), (iter(child), not block)))
        else:
            buf.extend((text_content(child), child.tail or ""))  # inline markup: links keep their words
    _flush(buf, out)  # text after the last block is text too


def _flush(buf: list[str], out: list[str]) -> None:
    text = "".join(buf)
    buf.clear()
    for part in _BREAKS.split(text) if _BR in text else (text,):
        part = clean_text(part.replace(_BR, " "))
        if part:
            out.append(part)


def _keep_or_move(paragraph: str, body: Body) -> None:
    """Keep article text; move bylines and syndication notes out; drop page chrome."""
    kind, value = classify_paragraph(paragraph, first=not body.paragraphs)
    if kind == BYLINE:
        body.byline_authors.extend(split_authors(value))
    elif kind == SYNDICATION:
        body.syndicated_from = value
    elif kind == TEXT:
        body.paragraphs.append(paragraph)
