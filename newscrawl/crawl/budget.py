"""How much listing a run may still read: index pages per site, section and date, and
sitemaps per run. Hostile or broken sites page and chain forever; a run must end."""
from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from urllib.parse import parse_qs, urlsplit


@dataclass
class ListingBudget:
    """Counts what was taken; ``take_*`` says whether one more may be.

    >>> budget = ListingBudget(max_index_pages=2, max_sitemaps=1)
    >>> [budget.take_index_page(f"https://x.tribunnews.com/index-news?date=2020-5-4&page={n}") for n in (1, 2, 3)]
    [True, True, False]
    >>> budget.take_index_page("https://x.tribunnews.com/index-news?date=2020-5-5")  # another date
    True
    >>> budget.take_sitemap(), budget.take_sitemap()
    (True, False)
    """

    max_index_pages: int = 200
    max_sitemaps: int = 2000
    index_pages: Counter = field(default_factory=Counter)  # per (host, path, date)
    sitemaps: int = 0

    @staticmethod
    def index_key(url: str) -> tuple:
        parts = urlsplit(url)
        return parts.netloc, parts.path, tuple(parse_qs(parts.query).get("date", []))

    def take_index_page(self, url: str) -> bool:
        key = self.index_key(url)
        self.index_pages[key] += 1
        return self.index_pages[key] <= self.max_index_pages

    def first_refusal(self, url: str) -> bool:
        """True right after the first index page of its date and section was refused."""
        return self.index_pages[self.index_key(url)] == self.max_index_pages + 1

    def take_sitemap(self) -> bool:
        self.sitemaps += 1
        return self.sitemaps <= self.max_sitemaps
