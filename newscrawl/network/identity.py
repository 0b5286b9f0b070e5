"""Who the crawler says it is: a browser-shaped User-Agent with newscrawl's own token.

Tribun's CDN edge refuses what does not look like a browser (docs/field-reference.md section 7);
the appended token and the optional contact keep the crawl identifiable and honest.
"""
from __future__ import annotations

__version__ = "0.3"

# A current desktop Chrome on Linux. The edge asks "is this browser-shaped", not "is this
# exactly Chrome", so this need not track every release.
BROWSER = ("Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) "
           "Chrome/142.0.0.0 Safari/537.36")
PRODUCT = "newscrawl"


def user_agent(contact: str | None = None) -> str:
    """The default User-Agent: the browser string, our token, and ``(+contact)`` if given.

    >>> user_agent().endswith("Safari/537.36 newscrawl/0.3")
    True
    >>> user_agent("mailto:data@example.org").rsplit(" ", 2)[1:]
    ['newscrawl/0.3', '(+mailto:data@example.org)']
    """
    agent = f"{BROWSER} {PRODUCT}/{__version__}"
    contact = (contact or "").strip()
    return f"{agent} (+{contact})" if contact else agent

