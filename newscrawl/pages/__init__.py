"""Pure extraction: HTML (or XML) and its URL in, fields out. No requests, no engine."""
from newscrawl.pages.article import ArticlePage, extract_article
from newscrawl.pages.listing import Listing, extract_listing
from newscrawl.pages.sitemap import Sitemap, parse_sitemap

__all__ = ["ArticlePage", "Listing", "Sitemap", "extract_article", "extract_listing", "parse_sitemap"]
