"""Index ("Indeks Berita") and other listing pages: article links and next pages."""
from __future__ import annotations

from dataclasses import dataclass, field

from newscrawl.network.urls import absolute_url, is_article_url
from newscrawl.pages.sources import MAX_LINKS, PageSources, compiled

_PAGER_LINKS = compiled(".//a/@href")
_NUMBERED_LINKS = compiled(".//a[@data-ci-pagination-page]/@href")


@dataclass
class Listing:
    """Article links of a listing page (in page order) and its pagination links."""

    article_urls: list[str] = field(default_factory=list)
    page_urls: list[str] = field(default_factory=list)


def _item_links(ul) -> list[str]:
    """``li h3 > a[href]`` of the list: a walk, since libxml2's XPath merges node sets of
    ``li//h3`` in quadratic time (a hostile index page of 10^5 links took minutes)."""
    return [a.get("href") for li in ul.iterchildren("li") for h3 in li.iter("h3")
            for a in h3.iterchildren("a") if a.get("href") is not None]


def extract_listing(html: str | bytes, url: str, max_links: int = MAX_LINKS) -> Listing:
    """Article and pagination links of an index page; any article link as a fallback.

    At most ``max_links`` links of each kind are looked at."""
    page = PageSources(html, url)
    hrefs = [h for ul in page.with_class("lsi") if ul.tag == "ul" for h in _item_links(ul)] or page.all("//a/@href")
    articles: dict[str, None] = {}  # ordered and deduplicated in one pass: pages may hold 10^5 links
    for href in hrefs[:max_links]:
        absolute = absolute_url(url, href)
        if absolute and absolute not in articles and is_article_url(absolute):
            articles[absolute] = None
    pager = page.by_id("paginga")
    pager_links = [*(_PAGER_LINKS(pager) if pager is not None else []),
                   *(h for div in page.with_class("paging") if div.tag == "div" for h in _NUMBERED_LINKS(div))]
    pages: dict[str, None] = {}
    for href in pager_links[:max_links]:
        absolute = absolute_url(url, href)
        if absolute and absolute != url and absolute not in pages and not is_article_url(absolute):
            pages[absolute] = None
    return Listing(list(articles), list(pages))
