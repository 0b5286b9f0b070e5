"""The Tribun network: which hosts belong to it and what its regional sites are.

The regional list is docs/field-reference.md section 6, kept here and nowhere else.
"""
from __future__ import annotations

import re
from urllib.parse import urlsplit

NETWORK_DOMAIN = "tribunnews.com"
MAIN_SITE = "www"

REGIONAL_SITES: tuple[str, ...] = (
    "aceh", "prohaba", "gayo", "medan", "padang", "pekanbaru", "batam", "jambi",
    "sumsel", "palembang", "bangka", "belitung", "babel", "bengkulu", "lampung",
    "jakarta", "wartakota", "banten", "tangerang", "jabar", "depok", "bekasi",
    "bogor", "priangan", "cirebon", "jateng", "solo", "banyumas", "muria",
    "pantura", "mataraman", "jatim", "surabaya", "suryamalang", "madura",
    "jatim-timur", "jogja", "bali", "pontianak", "kalteng", "kaltim", "kaltara",
    "banjarmasin", "sulbar", "makassar", "toraja", "sultra", "palu", "manado",
    "gorontalo", "lombok", "mataram", "flores", "kupang", "ternate", "ambon",
    "papua", "papuabarat", "sorong",
)

ALL_SITES: tuple[str, ...] = (MAIN_SITE, *REGIONAL_SITES)

# The domains the network serves articles from (image CDN excluded: not pages).
NETWORK_DOMAINS = ("tribunnews.com", "surya.co.id", "tribunsolo.com")


def site_host(name: str) -> str:
    """Host of a site named in `-a sites=` (``www`` or a regional name)."""
    return f"{name}.{NETWORK_DOMAIN}"


def is_network_host(host: str) -> bool:
    """True for any host of the Tribun network (www, m., regional, brand domains)."""
    host = host.lower().split(":")[0]
    return any(host == d or host.endswith("." + d) for d in NETWORK_DOMAINS)


def may_request(url: str, given_hosts: frozenset[str] = frozenset()) -> bool:
    """Whether a crawl may request this URL: http(s), to a network host on its default
    port, or to one of ``given_hosts`` (``host:port`` of the ``-a urls``).

    >>> may_request("https://solo.tribunnews.com/a"), may_request("https://solo.tribunnews.com:8443/a")
    (True, False)
    >>> may_request("http://127.0.0.1:8080/a", frozenset({"127.0.0.1:8080"})), may_request("file:///etc/passwd")
    (True, False)
    """
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https"):
        return False
    netloc = parts.netloc.lower()
    if netloc in given_hosts:
        return True
    default_port = netloc == parts.hostname or netloc.endswith((":80", ":443"))
    return default_port and is_network_host(parts.hostname or "")


def is_main_site(host: str) -> bool:
    """True for www/m. tribunnews.com, whose article paths start with a section."""
    return host.lower().split(":")[0] in ("www.tribunnews.com", "m.tribunnews.com", "tribunnews.com")


def sitemap_urls(name: str) -> list[str]:
    """Entry sitemaps of a site: www has a sitemap index, regional sites a news sitemap."""
    base = f"https://{site_host(name)}"
    if name == MAIN_SITE:
        return [f"{base}/sitemap.xml"]
    return [f"{base}/sitemap_news.xml"]


def names_another_site(source: str | None, site: str | None) -> bool:
    """True when an article's source ("Artikel ini telah tayang di X", "Sumber: X") is
    another site than its own: it is a republished copy by its own account.

    >>> names_another_site("TribunSolo.com", "jateng.tribunnews.com")
    True
    >>> [names_another_site(s, h) for s, h in (("TribunSolo.com", "solo.tribunnews.com"),
    ...  ("Tribunnews.com", "www.tribunnews.com"), (None, "solo.tribunnews.com"))]
    [False, False, False]
    """
    if not source or not site or not is_network_host(site):
        return False  # a mirror's host (a test server) says nothing of the brand
    brand = re.sub(r"[^a-z]", "", source.lower())
    names = [part for part in site.lower().split(":")[0].split(".")
             if part not in ("www", "m", "com", "co", "id", "tribunnews")] or ["tribunnews"]
    return not any(name.replace("-", "") in brand for name in names)
