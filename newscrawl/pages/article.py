"""Fields of one article page, each read from a chain of sources (DOM, JSON-LD, meta, dataLayer).

``extract_article(html, url)`` is pure: HTML and URL in, fields out. Missing markup gives
None or [] for that field, never an exception; validation counts what is missing.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import timedelta, timezone
from itertools import chain, islice
from typing import Any
from urllib.parse import urlsplit

from newscrawl.network.sites import is_main_site
from newscrawl.network.urls import absolute_url, article_id_from_url, canonical_url, is_article_url, page_urls
from newscrawl.pages.body import extract_body, text_container
from newscrawl.pages.credits import credited_authors, editor, source
from newscrawl.pages.paging import extract_paging
from newscrawl.pages.sources import MAX_LINKS, PageSources, class_has, compiled, has_class, ld_str, text_of
from newscrawl.text.dates import WIB, ZONES, parse_date
from newscrawl.text.normalize import clean_text, slug, unique

_TITLE_SUFFIX = re.compile(
    r"\s+[-|–]\s+(halaman\s+(\d+|all)|[^-|–]*(tribun|\.com|\.co\.id)[^-|–]*)$", re.I)
_HOME = {"home", "beranda", "tribunnews.com", "index"}
# Page URLs listed for an article at most: NEWSCRAWL_MAX_PAGES cannot exceed this either.
LISTED_PAGES = 1000


@dataclass
class ArticlePage:
    """Everything one page of an article yields."""

    url: str
    page_number: int
    page_count: int  # as the page announces it: a hostile page may announce billions
    fields: dict = field(default_factory=dict)
    paragraphs: list[str] = field(default_factory=list)
    # A rel=canonical naming another article, not trusted for identity (see _canonical).
    ignored_canonical: str | None = None
    # Dates the page gave that could not be read (field -> the text), set to null.
    unreadable_dates: dict = field(default_factory=dict)

    @property
    def page_urls(self) -> list[str]:
        """URLs of the article's pages, page 1 first (at most the first LISTED_PAGES)."""
        return page_urls(self.url, min(self.page_count, LISTED_PAGES))


def extract_article(html: str | bytes, url: str, max_links: int = MAX_LINKS) -> ArticlePage:
    """Extract one article page: item fields, this page's paragraphs and the page list.

    At most ``max_links`` links of the pager and of the "Baca juga" lines are looked at."""
    page = PageSources(html, url)
    first_page, ignored_canonical = _canonical(page)
    container = text_container(page)
    paging = extract_paging(page, container, max_links)
    body = extract_body(page, container, max_links)
    authors = unique([*credited_authors(page), *body.byline_authors])
    fields = {
        "url": first_page,
        "article_id": page.datalayer("idArticle") or article_id_from_url(first_page) or _widget_id(page),
        "site": urlsplit(first_page).netloc,
        "title": _title(page),
        "description": _description(page),
        "authors": authors,
        "editor": editor(page),
        "published_at": (published := _published(page))[0],
        "updated_at": (updated := first_date((ld_str(page.article_ld.get("dateModified")), None),
                                             (page.meta.get("article:modified_time"), None)))[0],
        "section": (section := _section(page, first_page)),
        "tags": _tags(page, container, section),
        "image_url": _image(page),
        "image_caption": _in_image_box(page, f".//figcaption | .//div[{has_class('arial', 'f12')}]"),
        "image_credit": _in_image_box(page, f".//div[{has_class('f11', 'white')}]"),
        "related_urls": body.related_urls,
        "language": _language(page),
        "source": source(page) or body.syndicated_from,
        "free_access": _free_access(page),
    }
    unreadable = {name: raw for name, (_, raw) in (("published_at", published), ("updated_at", updated)) if raw}
    return ArticlePage(
        url=first_page, page_number=paging.number,
        page_count=paging.count,
        fields=fields, paragraphs=body.paragraphs, ignored_canonical=ignored_canonical, unreadable_dates=unreadable)


def _canonical(page: PageSources) -> tuple[str, str | None]:
    """Page-1 URL, and a canonical link that was not trusted (or None).

    ``rel=canonical`` wins when it names this same article on this host (same slug: the
    requested URL may be a variant, or the old dated form of a new numeric-id URL). A
    canonical naming another article is not trusted: A's text exported under B's URL
    would make B a "duplicate" and lose it, on every later run too.
    """
    ours = canonical_url(page.url)
    link = next((e.get("href") for e in page.tagged("link") if e.get("rel") == "canonical"), None)
    if not link:
        return ours, None
    link = absolute_url(page.url, link)
    if link is None or urlsplit(link).netloc != urlsplit(page.url).netloc or not is_article_url(link):
        return ours, None  # another host, or not an article URL: only our own form counts
    theirs = canonical_url(link)
    if _slug(theirs) != _slug(ours):
        return ours, theirs
    return theirs, None


def _widget_id(page: PageSources) -> str | None:
    """The id of a dated-URL article (2026), which its URL lacks: the share widget's
    ``data-content-id``, else ``<meta property="android:app_id">``; digits only."""
    for element in page.with_class("share-wrapper"):
        if (value := (element.get("data-content-id") or "").strip()).isdigit():
            return value
    value = (page.meta.get("android:app_id") or "").strip()
    return value if value.isdigit() else None


def _free_access(page: PageSources) -> bool | None:
    """JSON-LD ``isAccessibleForFree``: False marks a premium article; None when absent."""
    value = page.article_ld.get("isAccessibleForFree")
    if isinstance(value, str):
        value = {"true": True, "false": False}.get(value.strip().lower())
    return value if isinstance(value, bool) else None


def _slug(url: str) -> str:
    return urlsplit(url).path.rstrip("/").rsplit("/", 1)[-1]


def _strip_suffix(title: str | None) -> str | None:
    title = clean_text(title)
    while (stripped := _TITLE_SUFFIX.sub("", title)) != title:
        title = stripped
    return title or None


def _title(page: PageSources) -> str | None:
    titles = page.tagged("title")
    return (text_of(page.by_id("arttitle"))
            or _strip_suffix(ld_str(page.article_ld.get("headline")))
            or _strip_suffix(page.meta.get("og:title"))
            or _strip_suffix(text_of(titles[0] if titles else None)))


def _description(page: PageSources) -> str | None:
    hidden = text_of(page.after(page.by_id("arttitle"), ("h2", "h4"), lambda e: class_has(e, "hide")))
    return (hidden or _strip_suffix(page.meta.get("description"))
            or _strip_suffix(page.meta.get("og:description"))
            or ld_str(page.article_ld.get("description")))


def _published(page: PageSources) -> tuple[str | None, str | None]:
    """JSON-LD wins; then ``time[datetime]``, meta, dataLayer (local time), visible text."""
    # The first time after the headline: sidebars' "5 menit lalu" (time.timeago) are other articles'.
    time_el = page.after(page.by_id("arttitle"), ("time",), lambda e: not class_has(e, "timeago"))
    # The date box under the headline is the article's (a later <time> may be a sidebar's).
    visible = _date_box_text(page) or (text_of(time_el) if time_el is not None else "")
    return first_date((ld_str(page.article_ld.get("datePublished")), None),
                      (time_el.get("datetime") if time_el is not None else None, None),
                      (page.meta.get("article:published_time"), None),
                      (page.datalayer("publish_date"), _local_zone(page, visible)), (visible, None))


def first_date(*sources: tuple[str | None, timezone | None]) -> tuple[str | None, str | None]:
    """The first of (text, zone for a zone-less time) that reads as a date, and, when none
    does, the first text given (what the page said, unreadable: counted by the spider).

    >>> first_date(("kemarin sore", None), (None, None)), first_date(("kemarin", None), ("2020-05-04T04:25+07:00", None))
    ((None, 'kemarin sore'), ('2020-05-04T04:25:00+07:00', None))
    """
    given = None
    for text, zone in sources:
        if (value := parse_date(text, default_tz=zone)) is not None:
            return value, None
        given = given or clean_text(text) or None
    return None, given


def _date_box_text(page: PageSources) -> str:
    """The text of the date box under the headline, ``div.grey.bdr3``, whatever element
    carries the date inside it (2012-19: an ``h3``). Never the header's render clock
    (``#jam``, before the headline) nor a sidebar's times."""
    title = page.by_id("arttitle")
    for sibling in islice(title.itersiblings(), 3) if title is not None else ():
        for div in sibling.iter("div"):
            if class_has(div, "bdr3") and class_has(div, "grey"):
                return text_of(div)
    return ""


def _local_zone(page: PageSources, visible: str) -> timezone | None:
    """Zone of the page's zone-less times: the visible date's, else WIB on www only."""
    for name, seconds in ZONES.items():
        if re.search(rf"\b{name}\b", visible):
            return timezone(timedelta(seconds=seconds))
    return WIB if is_main_site(urlsplit(page.url).netloc) else None


def _section(page: PageSources, url: str) -> str | None:
    crumbs = page.jsonld_of({"BreadcrumbList"}).get("itemListElement") or []
    names = [ld_str(c.get("item") if isinstance(c.get("item"), dict) and not c.get("name")
                     else c.get("name")) for c in crumbs if isinstance(c, dict)]
    for crumbs_list in page.with_attribute("itemtype", "BreadcrumbList"):
        names += [text_of(n) for n in crumbs_list.iterdescendants() if n.get("itemprop") == "name"]
    for name in names:
        if name and name.casefold() not in _HOME:
            return slug(name)
    first_segment = urlsplit(url).path.strip("/").split("/")[0]
    from_url = first_segment if is_main_site(urlsplit(url).netloc) and not first_segment.isdigit() else None
    return slug(page.datalayer("section") or from_url)


def _tags(page: PageSources, container: Any, section: str | None) -> list[str]:
    """The article's tags: its tag cloud, else its ``/tag/`` links after the text (2012-19),
    else the keywords; never "news" or the section's name, which old keywords mix in."""
    links = [a for cloud in page.with_class("tagcloud3") for a in cloud.iter("a")] or _tag_links(container)
    # A tag is shown as "#Benjamin Bukit" under some 2012-19 articles: the mark is decoration.
    if not (tags := unique((text_of(a) or a.get("title") or "").lstrip("#").strip() for a in links)):
        ld = page.article_ld.get("keywords") or []
        keywords = page.meta.get("news_keywords") or page.meta.get("keywords") or (ld if isinstance(ld, str) else "")
        tags = unique(keywords.split(",") if keywords else
                      (str(k) for k in ld if isinstance(k, (str, int))) if isinstance(ld, list) else [])
    return [t for t in tags if t.casefold() not in _NOT_TAGS and slug(t) != section]


# What old keywords mix in with the real tags.
_NOT_TAGS = frozenset({"news", "berita", "tribunnews", "tribunnews.com"})


def _tag_links(container: Any) -> list:
    """``/tag/`` links after the text box, in the same column (not a sidebar's topics)."""
    if container is None or container.getparent() is None:
        return []
    return [a for sibling in container.itersiblings() for a in sibling.iter("a")
            if "/tag/" in (a.get("href") or "")]


def _image(page: PageSources) -> str | None:
    """The lead photo: the article box's photo, else ``og:image``, JSON-LD ``image``,
    ``link[rel=image_src]``; never an icon, logo, SVG or tracking pixel.

    The 2020 template puts a 16-pixel lightbox icon (``zoom-in.svg``) before the photo in
    ``#artimg``: the first ``<img>`` of the box is not the photo.
    """
    box = page.by_id("artimg")
    images = list(box.iter("img")) if box is not None else []
    # The template marks its photo (img.imgfull); any other image of the box comes after it.
    images.sort(key=lambda img: not class_has(img, "imgfull"))
    candidates = chain((_photo_src(img) for img in images), (source() for source in (
        lambda: page.meta.get("og:image"), lambda: ld_str(page.article_ld.get("image")),
        lambda: next((e.get("href") for e in page.tagged("link") if e.get("rel") == "image_src"), None))))
    return next((url for c in candidates if (url := absolute_url(page.url, c)) and is_photo_url(url)), None)


def _photo_src(img) -> str | None:
    """An ``<img>``'s source unless its size says it is an icon or a pixel (<= 50 px)."""
    for size in (img.get("width") or "", img.get("height") or ""):
        pixels = size.strip().rstrip("px")
        if pixels.isdigit() and int(pixels) <= 50:
            return None
    return img.get("data-src") or img.get("src")


# Icons and logos by folder or file name; pixels and spacers by their whole file name
# (a photo's slug may well contain "pixel": a phone review).
_NOT_A_PHOTO = re.compile(r"\.(svg|ico)$|/(icons?|logos?)/|/(logo|icon|favicon|zoom-in)[^/]*$|"
                          r"/(pixel|blank|spacer|1x1|transparent|tracking)\.\w+$", re.I)


def is_photo_url(url: str) -> bool:
    """False for URLs that name an icon, a logo, an SVG, a data: URI or a tracking pixel.

    >>> is_photo_url("https://cdn2.tstatic.net/tribunnews/foto/bank/images/belajar-dari-rumah-990932567.jpg")
    True
    >>> [is_photo_url(u) for u in ("https://cdn1.tstatic.net/img/zoom-in.svg", "data:image/gif;base64,R0lG",
    ...  "https://cdn.tstatic.net/tribunnews/img/logo-tribunnews.png", "https://x.net/pixel.gif?id=1")]
    [False, False, False, False]
    >>> is_photo_url("https://cdn2.tstatic.net/tribunnews/foto/bank/images/google-pixel-9-review.jpg")
    True
    """
    parts = urlsplit(url)
    return parts.scheme in ("http", "https") and not _NOT_A_PHOTO.search(parts.path)


def _in_image_box(page: PageSources, xpath: str) -> str | None:
    box = page.by_id("artimg")
    found = compiled(xpath)(box) if box is not None else []
    return text_of(found[0]) or None if found else None


def _language(page: PageSources) -> str | None:
    lang = (page.tree.get("lang") or ld_str(page.article_ld.get("inLanguage"))
            or page.meta.get("og:locale") or "")
    return clean_text(lang).replace("_", "-").split("-")[0].lower() or None
