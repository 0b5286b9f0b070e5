"""Index ("Indeks Berita") and other listing pages: article links and next pages."""
from __future__ import annotations

from dataclasses import dataclass, field
from urllib.parse import urljoin

from newscrawl.pages.sources import PageSources, has_class
from newscrawl.urls import is_article_url

_ITEMS = f"//ul[{has_class('lsi')}]/li//h3/a/@href"
_PAGER = ("//div[@id='paginga']//a/@href"
          f" | //div[{has_class('paging')}]//a[@data-ci-pagination-page]/@href")


@dataclass
class Listing:
    """Article links of a listing page (in page order) and its pagination links."""

    article_urls: list[str] = field(default_factory=list)
    page_urls: list[str] = field(default_factory=list)


def extract_listing(html: str | bytes, url: str) -> Listing:
    """Article and pagination links of an index page; any article link as a fallback."""
    page = PageSources(html, url)
    hrefs = page.tree.xpath(_ITEMS) or page.tree.xpath("//a/@href")
    listing = Listing()
    for href in hrefs:
        absolute = urljoin(url, href.strip())
        if is_article_url(absolute) and absolute not in listing.article_urls:
            listing.article_urls.append(absolute)
    for href in page.tree.xpath(_PAGER):
        absolute = urljoin(url, href.strip())
        if absolute != url and absolute not in listing.page_urls and not is_article_url(absolute):
            listing.page_urls.append(absolute)
    return listing
