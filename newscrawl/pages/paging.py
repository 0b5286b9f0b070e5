"""Pagination of multi-page articles: which page this is and how many there are.

Reads every paging form of docs/field-reference.md section 3 (the 2020 ``div.paging`` links,
the 2024+ ``pagination-wrap`` with "Halaman 1/3", text such as "Halaman 2 dari 3").
Only links to the same article path count, so sidebar and listing pagers are ignored.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from itertools import islice
from urllib.parse import urlsplit

from lxml import etree

from newscrawl.network.urls import absolute_url, page_number_of
from newscrawl.pages.sources import MAX_LINKS, PageSources, class_has, text_of
from newscrawl.text.normalize import clean_text

_COUNT_TEXT = re.compile(r"halaman\s+(\d+)\s*(?:dari|/|of)\s*(\d+)", re.I)
# The same with the spaces between elements' texts gone: true wherever _COUNT_TEXT is.
_MAY_HOLD_COUNT = re.compile(r"halaman\s*\d+\s*(?:dari|/|of)\s*\d", re.I).search


@dataclass
class Paging:
    """The page number shown by this page and the page count it announces."""

    number: int
    count: int


def extract_paging(page: PageSources, container, max_links: int = MAX_LINKS) -> Paging:
    """This page's number and the article's page count, from any paging markup present.

    ``container`` is the page's text container (see pages/body.py text_container).
    """
    number = page_number_of(page.url)
    count = number
    own_path = urlsplit(page.url).path.rstrip("/")
    own_slug = own_path.rsplit("/", 1)[-1]
    # Plain walks over a few dozen elements: an XPath call on a freshly parsed page costs
    # more than the walk (measured on the genuine 2020 page).
    in_text = [e for e in container.iterdescendants(etree.Element) if class_has(e, "paging")] \
        if container is not None else []
    for pager in [*page.with_class("side-article", "mb5"), *in_text, *page.with_class("pagination-wrap")]:
        current = None
        for link in islice(pager.iter("a"), max_links):
            linked = _linked_number(link, page.url, own_path, own_slug)
            if linked:
                count = max(count, linked)
            if current is None and (link.get("id") == "pagecurrent" or class_has(link, "active")):
                current = link
        if current is not None and text_of(current).isdigit():
            number = int(text_of(current))
        # libxml2 joins the pager's text without a Python object per piece: most pagers
        # hold no count at all, and the slower spaced join is only needed when one does.
        if _MAY_HOLD_COUNT(etree.tostring(pager, method="text", encoding=str, with_tail=False)):
            for shown, total in _COUNT_TEXT.findall(" ".join(pager.itertext())):
                number, count = int(shown), max(count, int(total))
    for line in _count_lines(container):
        if match := _COUNT_TEXT.fullmatch(clean_text(line.text)):
            number, count = int(match.group(1)), max(count, int(match.group(2)))
    return Paging(number=number, count=max(count, number))


def _count_lines(container) -> list:
    """Leaf elements of the text container whose text starts with "Halaman".

    Inside the text only a line that is nothing but the count counts: prose may say
    "halaman 5 dari 10" about something else.
    """
    if container is None:
        return []
    return [e for e in container.iterdescendants(etree.Element)
            if len(e) == 0 and e.text and e.text.lstrip().startswith("Halaman")]


def _linked_number(link, base_url: str, own_path: str, own_slug: str) -> int | None:
    """The page a paging link points to, when it points into this same article."""
    href = link.get("href")
    # A link into this article names its slug or is a bare query: a substring test rules
    # out the recommendations and tags around the pager before any URL parsing.
    if href and (own_slug in href or href.startswith("?")):
        absolute = absolute_url(base_url, href)  # None for "http://[::1": no URL at all
        target = urlsplit(absolute) if absolute else None
        if target is not None and target.path.rstrip("/") == own_path:
            number = page_number_of(target)
            if number > 1 or text_of(link) == "1":
                return number
    rel = link.get("rel") or ""
    if rel.startswith("page-") and rel[5:].isdigit():
        return int(rel[5:])
    return None
