"""Pagination of multi-page articles: which page this is and how many there are.

Reads every paging form of tribun-site.md section 2 (the 2020 ``div.paging`` links,
the 2024+ ``pagination-wrap`` with "Halaman 1/3", text such as "Halaman 2 dari 3").
Only links to the same article path count, so sidebar and listing pagers are ignored.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import urljoin, urlsplit

from newscrawl.pages.sources import PageSources, compiled, has_class, text_of
from newscrawl.urls import page_number_of

_CURRENT = f".//*[@id='pagecurrent'] | .//a[{has_class('active')}]"
_PAGING_IN_TEXT = f".//*[{has_class('paging')}]"
_COUNT_TEXT = re.compile(r"halaman\s+(\d+)\s*(?:dari|/|of)\s*(\d+)", re.I)
# Inside the text container only a line that is nothing but the count counts: prose
# may say "halaman 5 dari 10" about something else.
_COUNT_LINES = ".//*[not(*)][starts-with(normalize-space(.), 'Halaman')]"  # leaves: cheap


@dataclass
class Paging:
    """The page number shown by this page and the page count it announces."""

    number: int
    count: int


def extract_paging(page: PageSources, container) -> Paging:
    """This page's number and the article's page count, from any paging markup present.

    ``container`` is the page's text container (see pages/body.py text_container).
    """
    number = page_number_of(page.url)
    count = number
    own_path = urlsplit(page.url).path.rstrip("/")
    in_text = compiled(_PAGING_IN_TEXT)(container) if container is not None else []
    for pager in [*page.with_class("side-article", "mb5"), *in_text, *page.with_class("pagination-wrap")]:
        for link in pager.iter("a"):
            linked = _linked_number(link, page.url, own_path)
            if linked:
                count = max(count, linked)
        current = compiled(_CURRENT)(pager)
        if current and text_of(current[0]).isdigit():
            number = int(text_of(current[0]))
        for shown, total in _COUNT_TEXT.findall(text_of(pager)):
            number, count = int(shown), max(count, int(total))
    for line in compiled(_COUNT_LINES)(container) if container is not None else []:
        if match := _COUNT_TEXT.fullmatch(text_of(line)):
            number, count = int(match.group(1)), max(count, int(match.group(2)))
    return Paging(number=number, count=max(count, number))


def _linked_number(link, base_url: str, own_path: str) -> int | None:
    """The page a paging link points to, when it points into this same article."""
    href = link.get("href")
    if href:
        target = urlsplit(urljoin(base_url, href))
        if target.path.rstrip("/") == own_path:
            number = page_number_of(target)
            if number > 1 or text_of(link) == "1":
                return number
    rel = link.get("rel") or ""
    if rel.startswith("page-") and rel[5:].isdigit():
        return int(rel[5:])
    return None
