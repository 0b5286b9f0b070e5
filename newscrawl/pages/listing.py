"""Index ("Indeks Berita") and other listing pages: article links and next pages."""
from __future__ import annotations

from dataclasses import dataclass, field

from newscrawl.pages.sources import PageSources, compiled
from newscrawl.urls import absolute_url, is_article_url

_ITEMS = compiled("./li//h3/a/@href")
_PAGER_LINKS = compiled(".//a/@href")
_NUMBERED_LINKS = compiled(".//a[@data-ci-pagination-page]/@href")


@dataclass
class Listing:
    """Article links of a listing page (in page order) and its pagination links."""

    article_urls: list[str] = field(default_factory=list)
    page_urls: list[str] = field(default_factory=list)


def extract_listing(html: str | bytes, url: str) -> Listing:
    """Article and pagination links of an index page; any article link as a fallback."""
    page = PageSources(html, url)
    hrefs = [h for ul in page.with_class("lsi") if ul.tag == "ul" for h in _ITEMS(ul)] or page.all("//a/@href")
    listing = Listing()
    for href in hrefs:
        absolute = absolute_url(url, href)
        if absolute and is_article_url(absolute) and absolute not in listing.article_urls:
            listing.article_urls.append(absolute)
    pager = page.by_id("paginga")
    pager_links = [*(_PAGER_LINKS(pager) if pager is not None else []),
                   *(h for div in page.with_class("paging") if div.tag == "div" for h in _NUMBERED_LINKS(div))]
    for href in pager_links:
        absolute = absolute_url(url, href)
        if absolute and absolute != url and absolute not in listing.page_urls and not is_article_url(absolute):
            listing.page_urls.append(absolute)
    return listing
