"""Updated articles: when to fetch a known article again, and whether it changed.

News articles change after publication (live reports grow, headlines are rewritten,
corrections and pages are added). A known article is fetched again when

- a sitemap entry's ``<lastmod>`` is newer than the one stored with it (or, when none was
  stored, than its last fetch), whatever its age; or
- it is younger than ``NEWSCRAWL_REVISIT_WITHIN`` hours and was last fetched at least
  ``NEWSCRAWL_REVISIT_EVERY`` hours ago: Tribun does not always announce an edit.

A revisit whose body, title or page count differs from the stored version is exported as
the next ``version``; an unchanged one exports nothing. ``NEWSCRAWL_REVISIT=0``: a known
article is never fetched again.
"""
from __future__ import annotations

from dataclasses import dataclass

from newscrawl.dedup.store import Version

HOUR = 3600
# How far ahead of this machine's clock a time may lie and still be believed (zones, skew).
SLACK = 24 * HOUR
LASTMOD, YOUNG = "lastmod", "young"


@dataclass(frozen=True)
class RevisitPolicy:
    enabled: bool = True
    within: float = 48 * HOUR  # seconds since publication
    every: float = 6 * HOUR  # seconds since the last fetch

    @classmethod
    def from_settings(cls, settings) -> "RevisitPolicy":
        return cls(settings.getbool("NEWSCRAWL_REVISIT"), settings.getfloat("NEWSCRAWL_REVISIT_WITHIN") * HOUR,
                   settings.getfloat("NEWSCRAWL_REVISIT_EVERY") * HOUR)

    def due(self, stored: Version | None, lastmod: int | None, now: float) -> str | None:
        """Why a known article is fetched again (LASTMOD or YOUNG), or None.

        >>> policy, v = RevisitPolicy(), Version(published=0, fetched=3600, lastmod=3000)
        >>> policy.due(v, lastmod=3500, now=7200), policy.due(v, lastmod=3000, now=7200)
        ('lastmod', None)
        >>> policy.due(v, None, now=7 * 3600), policy.due(v, None, now=6 * 3600), policy.due(v, None, now=49 * 3600)
        ('young', None, None)
        >>> RevisitPolicy(enabled=False).due(v, lastmod=9999, now=7200) is None
        True

        Times are bounded by the present: a publication ten years ahead is never young, a
        fetch recorded while the clock ran ahead does not hold revisits back, a stored
        ``lastmod`` of 2099 does not hide a later genuine one, and a ``lastmod`` ahead of
        the present is no signal.

        >>> now = 100 * 86400
        >>> policy.due(Version(published=now + 3650 * 86400, fetched=now - 7 * 3600), None, now)
        >>> policy.due(Version(published=now - 3600, fetched=now + 86400), None, now)
        'young'
        >>> policy.due(Version(published=0, fetched=now - 86400, lastmod=now + 70 * 365 * 86400), now - 3600, now)
        'lastmod'
        >>> policy.due(Version(published=0, fetched=now - 86400), now + 70 * 365 * 86400, now)
        """
        if not self.enabled or stored is None:
            return None  # stores written before versions were kept: no baseline
        if lastmod is not None and lastmod > now + SLACK:
            lastmod = None
        # Recorded by a clock that ran ahead of this one: not believed.
        fetched = stored.fetched if stored.fetched is not None and stored.fetched <= now else None
        believed = stored.lastmod if stored.lastmod is not None and stored.lastmod <= now else None
        baseline = believed if believed is not None else fetched
        if lastmod is not None and baseline is not None and lastmod > baseline:
            return LASTMOD
        young = stored.published is not None and -SLACK <= now - stored.published < self.within
        if young and (fetched is None or now - fetched >= self.every):
            return YOUNG
        return None


def changed(stored: Version, content_hash: str | None, title: str | None, page_count: int) -> bool:
    """Whether a fetched article differs from its stored version in what matters: the
    body (its hash), the title or the number of pages; never ``crawled_at`` and the like.

    >>> v = Version(content_hash="a", title="T", page_count=1)
    >>> changed(v, "a", "T", 1), changed(v, "b", "T", 1), changed(v, "a", "T2", 1), changed(v, "a", "T", 2)
    (False, True, True, True)
    """
    return (content_hash, title, page_count) != (stored.content_hash, stored.title, stored.page_count)
