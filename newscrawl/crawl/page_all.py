"""``?page=all``, proven on the live site before it is trusted (``NEWSCRAWL_PAGE_ALL``).

Tribun serves a multi-page article whole at ``?page=all`` (public traces of 2025-26,
docs/field-reference.md section 8), which would cost one request instead of one per page.
Nobody saved that view's markup, so the crawl proves it on each site: the first
``PROOFS`` multi-page articles of a site are fetched both ways, and when the text read
from ``?page=all`` equals the pages' merged text each time, the site's later multi-page
articles are read from ``?page=all`` alone. One that differs, and the site keeps paging
(said once, with the URL). What a site proved, or why it was refused, is kept in the state
store, so that later runs start from it.

Pure bookkeeping: the spider asks ``plan`` after page 1 and reports each proof with
``judge``; the store is anything with ``page_all_of(site)`` and ``set_page_all(site,
proofs, refused)`` (newscrawl/dedup/store.py, newscrawl/dedup/redis_store.py), or None.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

logger = logging.getLogger(__name__)

AUTO, ON, OFF = "auto", "on", "off"
PAGES, BOTH, ALL = "pages", "both", "all"  # what to fetch after page 1
WAIT = "wait"  # nothing yet: the site's proof is under way (plan again once it is judged)
PROOFS = 3  # a site's multi-page articles whose two texts must agree before ?page=all is used


@dataclass
class SiteView:
    """What is known of one site's ``?page=all`` view."""

    proofs: int = 0  # articles whose two texts agreed
    refused: str | None = None  # why it is not used: "<url>: <reason>"
    proving: int = 0  # articles of this run fetched both ways, not judged yet


class PageAllViews:
    """Whether each site's ``?page=all`` view may be used, proven article by article."""

    def __init__(self, mode: str, store: Any = None, stats: Any = None) -> None:
        self.mode = mode
        self.store = store
        self.stats = stats
        self.sites: dict[str, SiteView] = {}

    def plan(self, site: str) -> str:
        """After page 1 of a multi-page article: PAGES, BOTH (a proof), ALL, or WAIT while
        the proofs under way may still make it ALL."""
        if self.mode != AUTO:
            return ALL if self.mode == ON else PAGES
        view = self._view(site)
        if view.refused is not None:
            return PAGES
        if view.proofs >= PROOFS:
            return ALL
        if view.proofs + view.proving < PROOFS:
            view.proving += 1
            return BOTH
        return WAIT

    def judge(self, site: str, url: str, paged: str | None, viewed: str | None, why_not: str | None) -> None:
        """A proof's outcome: the pages' merged text and the view's (``viewed``), or why the
        view was not whole (``why_not``). No verdict when the pages were not all read
        (``paged`` None) or the view could not be fetched (neither ``viewed`` nor ``why_not``)."""
        view = self._view(site)
        view.proving = max(0, view.proving - 1)
        if paged is None or (viewed is None and why_not is None) or view.refused is not None:
            return
        if why_not is None and viewed == paged:
            view.proofs += 1
            self._count("page_all/proofs")
            if view.proofs == PROOFS:
                logger.info("%s: ?page=all gave the paged text of %d articles; its multi-page articles are "
                            "now read from it", site, PROOFS)
        else:
            reason = why_not or "its text differs from the pages' merged text"
            view.refused = f"{url}: {reason}"
            logger.warning("%s: not using ?page=all, which disagreed with the pages of %s (%s); the site's "
                           "articles are fetched page by page", site, url, reason)
            if self.stats is not None:
                self.stats.set_value("newscrawl/page_all/refused",
                                     [*(self.stats.get_value("newscrawl/page_all/refused") or []),
                                      f"{site}: {view.refused}"])
        self._save(site, view)

    def _view(self, site: str) -> SiteView:
        view = self.sites.get(site)
        if view is None:
            view = self.sites[site] = SiteView(*self._load(site))
        return view

    def _load(self, site: str) -> tuple[int, str | None]:
        if self.store is None:
            return 0, None
        try:
            return self.store.page_all_of(site) or (0, None)
        except Exception as error:  # a store that cannot answer: prove again, as a new store would
            self._store_failed(error)
            return 0, None

    def _save(self, site: str, view: SiteView) -> None:
        if self.store is None:
            return
        try:
            self.store.set_page_all(site, view.proofs, view.refused)
        except Exception as error:
            self._store_failed(error)

    def _store_failed(self, error: Exception) -> None:
        if not (self.stats and self.stats.get_value("newscrawl/page_all/store_failed")):
            logger.warning("The state store cannot keep what ?page=all proved (%s): this run proves it again", error)
        self._count("page_all/store_failed")

    def _count(self, key: str, by: int = 1) -> None:
        if self.stats is not None:
            self.stats.inc_value(f"newscrawl/{key}", by)
