"""Sitemaps: sitemap indexes and (Google News) URL sets, ``news:`` children kept."""
from __future__ import annotations

import gzip
import io
from dataclasses import dataclass, field

from lxml import etree

from newscrawl.text.normalize import clean_text

_MAX_UNZIPPED = 50 * 1024 * 1024  # the sitemap protocol's own size limit


@dataclass
class SitemapEntry:
    url: str
    published_at: str | None = None
    title: str | None = None
    lastmod: str | None = None  # <lastmod>, else the news publication date


@dataclass
class Sitemap:
    """``kind`` is ``index`` (entries are sitemaps), ``urlset`` or ``invalid``."""

    kind: str
    entries: list[SitemapEntry] = field(default_factory=list)


def parse_sitemap(body: bytes) -> Sitemap:
    """Entries of a sitemap document (gzipped or not); ``invalid`` for anything else."""
    if body[:2] == b"\x1f\x8b":
        try:
            body = gzip.GzipFile(fileobj=io.BytesIO(body)).read(_MAX_UNZIPPED)
        except (OSError, EOFError):
            return Sitemap("invalid")
    parser = etree.XMLParser(recover=True, resolve_entities=False, no_network=True)
    try:
        root = etree.fromstring(body, parser=parser)
    except etree.XMLSyntaxError:
        return Sitemap("invalid")
    if root is None:
        return Sitemap("invalid")
    kind = etree.QName(root).localname
    if kind == "sitemapindex":
        return Sitemap("index", [SitemapEntry(loc) for loc in _children_text(root, "sitemap", "loc")])
    if kind != "urlset":
        return Sitemap("invalid")
    entries = []
    for url in root.iterchildren("{*}url"):
        loc = clean_text(url.findtext("{*}loc"))
        if loc:
            published = clean_text(url.findtext(".//{*}publication_date")) or None
            entries.append(SitemapEntry(loc, published, clean_text(url.findtext(".//{*}title")) or None,
                                        clean_text(url.findtext("{*}lastmod")) or published))
    return Sitemap("urlset", entries)


def _children_text(root: etree._Element, child: str, leaf: str) -> list[str]:
    return [t for t in (clean_text(c.findtext("{*}" + leaf)) for c in root.iterchildren("{*}" + child)) if t]
