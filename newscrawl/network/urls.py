"""URL rules of the network: what is an article, its canonical form, its page N.

Pure functions; the spider canonicalizes before requesting, so URL variants of one
article (http/https, m., /amp/, trailing slash, tracking parameters) cost one fetch.
"""
from __future__ import annotations

import re
from urllib.parse import SplitResult, parse_qsl, urlencode, urljoin, urlsplit, urlunsplit

from newscrawl.network.sites import is_network_host

# docs/field-reference.md section 4: first path segments that never hold an article.
NON_ARTICLE_SEGMENTS = frozenset(
    "index-news tag topic search komentar member auth api ajax json posts penulis "
    "editor rss video images foto webstories".split()
)
_DATED = re.compile(r"^(?:[a-z0-9-]+/)?(\d{4})/(\d{2})/(\d{2})/[^/]+$")
_NUMERIC_ID = re.compile(r"^[a-z0-9-]+/(\d{5,})/[^/]+$")
_TRACKING = re.compile(r"^(utm_.*|fbclid|gclid|dclid|msclkid|_ga|_gl|mc_cid|mc_eid|ref|src|page)$")
# Parameters that are tracking only with this value: page links of 2025-26 carry
# ``&s=paging_new`` (tribun-site.md section 8); another ``s`` may be a search.
_TRACKING_PAIRS = {("s", "paging_new")}


def _tracking(name: str, value: str) -> bool:
    return bool(_TRACKING.match(name)) or (name, value) in _TRACKING_PAIRS


def _article_path(path: str) -> str:
    """Path without slashes at the ends and without a leading ``amp/``."""
    path = path.strip("/")
    if path.startswith("amp/"):
        path = path[4:]
    return path


def is_article_url(url: str) -> bool:
    """True when the URL's path has the shape of an article, on any host.

    >>> is_article_url("https://www.tribunnews.com/nasional/2020/05/04/judul-berita")
    True
    >>> is_article_url("https://www.tribunnews.com/bisnis/7654321/judul-berita?page=2")
    True
    >>> is_article_url("https://surabaya.tribunnews.com/amp/2024/01/02/judul")
    True
    >>> is_article_url("https://www.tribunnews.com/index-news/nasional?date=2021-5-1")
    False
    >>> is_article_url("https://www.tribunnews.com/tag/2020/05/04/x")
    False
    """
    path = _article_path(urlsplit(url).path)
    first = path.split("/", 1)[0]
    if not path or first in NON_ARTICLE_SEGMENTS or first.startswith("sitemap"):
        return False
    return bool(_DATED.match(path) or _NUMERIC_ID.match(path))


def is_sitemap_url(url: str) -> bool:
    """True for sitemap XML documents (index or urlset).

    >>> is_sitemap_url("https://www.tribunnews.com/nasional/sitemap-news.xml")
    True
    >>> is_sitemap_url("https://www.tribunnews.com/index-news")
    False
    """
    path = urlsplit(url).path.lower()
    return "sitemap" in path.rsplit("/", 1)[-1] and path.endswith((".xml", ".xml.gz"))


def article_id_from_url(url: str) -> str | None:
    """The numeric id of new-style (2025+) article URLs, else None.

    >>> article_id_from_url("https://www.tribunnews.com/bisnis/7654321/judul")
    '7654321'
    >>> article_id_from_url("https://www.tribunnews.com/bisnis/2020/05/04/judul") is None
    True
    """
    match = _NUMERIC_ID.match(_article_path(urlsplit(url).path))
    return match.group(1) if match else None


def page_number_of(url: str | SplitResult) -> int:
    """The ``?page=N`` of a URL, or of an already split one (1 when absent or not a positive number).

    >>> page_number_of("https://x.tribunnews.com/2020/01/01/a?page=3")
    3
    >>> page_number_of("https://x.tribunnews.com/2020/01/01/a?page=all")
    1
    """
    query = (url if isinstance(url, SplitResult) else urlsplit(url)).query
    if "page" not in query:
        return 1
    for key, value in parse_qsl(query):
        if key == "page" and value.isdigit() and int(value) > 0:
            return int(value)
    return 1


def absolute_url(base: str, href: str | None) -> str | None:
    """``href`` resolved against ``base``, or None when it is no URL at all (hostile markup:
    ``http://[::1``, a port that is not a number). Pages hold such links; extraction must
    not raise on them.

    >>> absolute_url("https://www.tribunnews.com/a/b", "../c?x=1"), absolute_url("https://x.id/", "http://[::1")
    ('https://www.tribunnews.com/c?x=1', None)
    """
    if not href or not href.strip():
        return None
    href = href.strip()
    try:
        url = href if href.startswith(("https://", "http://")) else urljoin(base, href)
        urlsplit(url).port  # noqa: B018 - raises ValueError on a bad port
    except ValueError:
        return None
    return url


def canonical_url(url: str) -> str:
    """Canonical page-1 URL of an article (or of any page, for dedup).

    Network hosts get https and ``www`` for ``m.``; ``/amp/``, tracking and paging
    parameters, the fragment and a trailing slash go. Other hosts (a local test
    server, a user's mirror) keep their scheme and host.

    >>> canonical_url("http://m.tribunnews.com/amp/nasional/2020/05/04/a/?page=2&utm_source=x#top")
    'https://www.tribunnews.com/nasional/2020/05/04/a'
    >>> canonical_url("http://127.0.0.1:8080/2020/05/04/a?id=1&fbclid=z")
    'http://127.0.0.1:8080/2020/05/04/a?id=1'
    >>> canonical_url("https://surabaya.tribunnews.com/surabaya-metro/1911899/a?page=2&s=paging_new")
    'https://surabaya.tribunnews.com/surabaya-metro/1911899/a'
    """
    parts = urlsplit(url.strip())
    scheme, host = parts.scheme.lower(), parts.netloc.lower()
    if is_network_host(host):
        scheme = "https"
        if host.startswith("m."):
            host = "www." + host[2:]
        elif host == "tribunnews.com":
            host = "www.tribunnews.com"
    path = parts.path or "/"
    if is_article_url(url):
        path = "/" + _article_path(path)
    query = urlencode([(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True)
                       if not _tracking(k, v)])
    return urlunsplit((scheme, host, path, query, ""))


def page_url(first_page_url: str, number: int) -> str:
    """URL of page ``number`` of the article whose page-1 URL is given.

    >>> page_url("https://www.tribunnews.com/nasional/2020/05/04/a", 2)
    'https://www.tribunnews.com/nasional/2020/05/04/a?page=2'
    >>> page_url("https://www.tribunnews.com/nasional/2020/05/04/a", 1)
    'https://www.tribunnews.com/nasional/2020/05/04/a'
    """
    return _numbered(canonical_url(first_page_url), number)


def page_all_url(first_page_url: str) -> str:
    """The article's one-page view (``?page=all``, seen on the live site in 2025-26:
    docs/field-reference.md section 8).

    >>> page_all_url("https://www.tribunnews.com/nasional/7845771/a?page=2&s=paging_new")
    'https://www.tribunnews.com/nasional/7845771/a?page=all'
    """
    return _with_page(canonical_url(first_page_url), "all")


def page_urls(first_page_url: str, count: int) -> list[str]:
    """URLs of pages 1..count, page 1 canonicalized once.

    >>> page_urls("http://127.0.0.1:8/a?id=1", 2)
    ['http://127.0.0.1:8/a?id=1', 'http://127.0.0.1:8/a?id=1&page=2']
    """
    base = canonical_url(first_page_url)
    return [_numbered(base, n) for n in range(1, count + 1)]


def _numbered(base: str, number: int) -> str:
    return base if number <= 1 else _with_page(base, str(number))


def _with_page(base: str, page: str) -> str:
    return f"{base}{'&' if '?' in base else '?'}page={page}"


def listing_url(url: str) -> str:
    """A listing page URL without tracking parameters and without ``page=1``.

    Page 1 of an index is linked both with and without ``page=1``: one fetch.

    >>> listing_url("https://www.tribunnews.com/index-news?date=2020-5-4&page=1&utm_source=x")
    'https://www.tribunnews.com/index-news?date=2020-5-4'
    >>> listing_url("https://www.tribunnews.com/index-news?date=2020-5-4&page=2")
    'https://www.tribunnews.com/index-news?date=2020-5-4&page=2'
    """
    parts = urlsplit(url)
    query = [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True)
             if not (k == "page" and v == "1") and (k == "page" or not _tracking(k, v))]
    return urlunsplit((parts.scheme, parts.netloc, parts.path, urlencode(query), ""))
