"""Generate a synthetic Tribun site of N articles for crawl-scale tests and benchmarks.

Pages follow the 2024-26 template of docs/field-reference.md (JSON-LD ``@graph``, ``h5#penulis``,
``pagination-wrap``) with the quirks of the genuine page in tests/fixtures/REAL-PAGES.md:
the 16-pixel lightbox icon before the photo in ``#artimg``, ads, scripts and "Baca:"
lines inside the body, a ``side-article mb5`` box of tags, recommendations and credits
after it; bodies of 3-5 KB like real articles. ``realistic`` adds the menus, sidebars and
scripts of a real page (~120 KB); ``padding_kb`` adds plain script weight.
Served by tests/fixture_site.py like the hand-written fixtures.
"""
from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

WORDS = ("pemerintah provinsi warga kota desa banjir harga pasar menteri presiden rapat "
         "pembangunan jalan sekolah rumah sakit polisi petani nelayan cuaca hujan listrik air "
         "bantuan sosial anggaran daerah program kesehatan pendidikan ekonomi tahun bulan minggu "
         "kabupaten gubernur bupati wali dinas kantor laporan data kasus jumlah ribu juta").split()


@dataclass
class GeneratedArticle:
    url: str
    pages: list[list[str]]  # paragraphs of each page

    @property
    def body(self) -> str:
        return "\n\n".join(p for page in self.pages for p in page)


def _paragraph(rng: random.Random, tag: str) -> str:
    words = [rng.choice(WORDS) for _ in range(rng.randint(30, 60))]
    return f"{tag} " + " ".join(words).capitalize() + "."


def _chrome(base: str, index: int) -> tuple[str, str]:
    """Real-weight page chrome: menu, sidebars of other articles, footer, ad and tracking scripts."""
    menu = "".join(f'<li><a href="{base}/{w}">{w.capitalize()}</a></li>' for w in WORDS[:40])
    side = "".join(f'<li class="item"><div class="thumb"><img src="https://cdn2.tstatic.net/t/{n}.jpg" '
                   f'alt="" width="120" height="90"></div><h3><a href="{base}/nasional/{7000000 + n}/berita-'
                   f'lain-{n}">Berita lain nomor {n} tentang {WORDS[n % len(WORDS)]}</a></h3>'
                   f'<time class="timeago" title="2024-05-01 09:00:00">{n % 59 + 1} menit lalu</time></li>'
                   for n in range(index, index + 200))
    sites = "".join(f'<a href="https://{w}.tribunnews.com/">Tribun{w.capitalize()}</a> ' for w in WORDS[:60])
    scripts = "".join(f"<script>(function(w,d){{w.ads{n}=w.ads{n}||[];w.ads{n}.push({{slot:'div-gpt-ad-{n}',"
                      f"sizes:[[300,250],[336,280]],targeting:{{section:'nasional',pos:{n}}}}});}})(window,document);"
                      + "var cfg" + str(n) + "={" + ",".join(f"k{i}:'{'v' * 40}'" for i in range(60)) + "};</script>"
                      for n in range(16))
    header = f'<header><nav><ul class="menu">{menu}</ul></nav></header>{scripts}'
    footer = (f'<aside class="sidebar"><h3>Terkini</h3><ul>{side}</ul></aside>'
              f'<footer><div class="network">{sites}</div>&copy; 2024 TRIBUNnews.com Network</footer>')
    return header, footer


def _page_html(host: str, article: GeneratedArticle, index: int, number: int, padding: str,
               realistic: bool = False, title: str | None = None, published: str | None = None,
               modified: str | None = None, view: str | None = None) -> str:
    """Page ``number`` of the article; ``view``: its ``?page=all`` view instead (write_page_all)."""
    url = article.url
    links = "".join(f'<a rel="page-{n}" class="active">{n}</a>' if n == number else
                    f'<a href="{url}{"" if n == 1 else f"?page={n}"}" rel="page-{n}">{n}</a>'
                    for n in range(1, len(article.pages) + 1))
    paging = (f'<div class="paging"><div class="pagination-wrap"><span class="total-page">Halaman '
              f'{number}/{len(article.pages)}</span><div class="page-number">{links}</div></div></div>'
              if len(article.pages) > 1 and view in (None, "page1") else "")
    # The view: every page's text in order, each with its quirks, no pager ("disagreeing":
    # the last page's last paragraph lost; "page1": page 1 as it is, pager included).
    shown = [article.pages[number - 1]] if view in (None, "page1") else \
        [*article.pages[:-1], article.pages[-1][:-1]] if view == "disagreeing" else article.pages
    body = "\n".join(f"<p>{p}</p>" + _BODY_QUIRKS.get(i, "").format(host=host, index=index)
                     for paragraphs in shown for i, p in enumerate(paragraphs))
    title = title or f"Artikel Nomor {index} tentang Pembangunan Daerah"
    published = published or f"2024-05-01T{index % 24:02d}:{index % 60:02d}:00+07:00"
    dates = f'"datePublished":"{published}"' + (f',"dateModified":"{modified}"' if modified else "")
    header, footer = _chrome(url.split("/nasional/")[0], index) if realistic else ("", "")
    photo = f"https://cdn2.tstatic.net/tribunnews/foto/bank/images/artikel-{index}-{900000000 + index}.jpg"
    return f"""<!DOCTYPE html>
<html lang="id"><head><meta charset="utf-8"><title>{title}{" - Halaman all" if view else ""} | Tribunnews.com</title>
<meta name="description" content="Ringkasan artikel nomor {index}.">
<meta property="og:image" content="{photo}">
<link rel="canonical" href="{url}">
<script type="application/ld+json">{{"@context":"https://schema.org","@graph":[{{"@type":"NewsArticle","headline":"{title}",{dates},"author":[{{"@type":"Person","name":"Penulis {index % 7}"}}],"image":{{"@type":"ImageObject","url":"{photo}"}},"keywords":["daerah","nomor {index % 5}"]}},{{"@type":"BreadcrumbList","itemListElement":[{{"@type":"ListItem","position":1,"name":"Home"}},{{"@type":"ListItem","position":2,"name":"Nasional"}}]}}]}}</script>
<script>window.dataLayer=window.dataLayer||[];window.dataLayer.push({{'idArticle':'{8000000 + index}','section':'nasional'}});</script>
<script>{padding}</script>
</head><body class="article-page">{header}
<h1 id="arttitle" class="f50 black2 f400 crimson">{title}</h1>
<h2 class="hide">Ringkasan artikel nomor {index}.</h2>
<div class="grey bdr3 pb10 pt10"><time><strong>Tayang:</strong> <span>Rabu, 1 Mei 2024 10:00 WIB</span></time></div>
<h5 id="penulis">Penulis: <b><a href="https://{host}/penulis/p">Penulis {index % 7}</a></b><span>|</span>Editor: <b><a>Editor</a></b></h5>
<div id="artimg"><div class="pb20 ovh"><div class="ovh imgfull_div" style="position:relative;">
<a class="icon_zoom glightbox" href="{photo}" data-descPosition="bottom"><img src="https://cdn1.tstatic.net/img/zoom-in.svg" width="16" height="16" alt="zoom-in"/><small>lihat foto</small></a>
<a href="{photo}" class="glightbox"><img style="float:none;height:auto" class="imgfull" src="{photo}" width="700" height="393" alt="{title}"/></a>
</div><div class="f11 white pa3 fr pos_rel ar">Tribunnews.com/Fotografer</div><div class="arial f12 pt5 grey2">{title}&nbsp;</div></div></div>
<div id="div-BelowImages" class="mb20"><script>googletag.cmd.push(function() {{ googletag.display('div-BelowImages'); }});</script></div>
<div class="side-article txt-article multi-fontsize editcontent">
{body}
<p class="baca">Baca juga: <a href="https://{host}/nasional/7000001/lain">Berita lain</a></p>
</div>
<div class="side-article mb5">{paging}{_after_body(host, index)}</div>
{footer or '<footer>&copy; 2024 TRIBUNnews.com Network</footer>'}
</body></html>
"""


# Inside the body after paragraph N, as on the genuine page: an ad slot, a "Baca:" line,
# a bare third-party script.
_BODY_QUIRKS = {
    0: ('<div id="div-Inside-MediumRectangle" style="text-align:center;margin:auto"><script type="text/javascript">'
        "googletag.cmd.push(function() {{ googletag.display('div-Inside-MediumRectangle'); }});</script></div>"),
    1: ('<p class="baca"><strong>Baca: <a title="Berita terkait {index}" href="https://{host}/nasional/'
        '7000002/terkait-{index}">Berita terkait {index}</a></strong></p>'),
    2: "<script src='//a.teads.tv/page/73726/tag' async='true'></script>",
}


def _after_body(host: str, index: int) -> str:
    """The box after the text on the genuine page: tags, "Baca Juga" list, credits, a video widget."""
    tags = "".join(f"<h5 class='tagcloud3'><a class='rd2' href='https://{host}/tag/{w}' title='{w}'>{w}</a></h5>"
                   for w in WORDS[index % 10: index % 10 + 5])
    related = "".join(f'<li><a href="https://{host}/nasional/{7100000 + n}/bacaan-{n}">Bacaan lain nomor {n}'
                      f'</a></li>' for n in range(index, index + 8))
    return (f'<div class="mb10 f16 ln24"><div class="fbo2 pr10 grey fl">Tags</div>{tags}</div>'
            f'<div class="rekomendasi"><h3>Baca Juga</h3><ul>{related}</ul></div>'
            f'<div class="f12 grey mb15"><div>Sumber: <a href="https://{host}" title="Tribunnews.com">'
            f'Tribunnews.com</a></div></div>'
            '<style>.tribun-video-pilihan{border:1px solid #ececec;border-radius:3px}</style>'
            '<div class="tribun-video-pilihan">Video Pilihan</div>')


def _index_html(origin: str, day: date, urls: list[str], number: int, last: int) -> str:
    items = "".join(f'<li class="ptb15"><h3 class="f16 fbo"><a href="{u}" class="f16 fbo">Artikel</a></h3>'
                    f'<time class="grey" title="2024-05-01 10:00:00">1 jam lalu</time></li>' for u in urls)
    base = f"{origin}/index-news?date={day.year}-{day.month}-{day.day}"
    pager = "".join(f'<a href="{base}&amp;page={n}" data-ci-pagination-page="{n}">{n}</a>'
                    for n in range(1, last + 1) if n != number)
    if number < last:
        pager += f'<a href="{base}&amp;page={number + 1}" data-ci-pagination-page="{number + 1}">Next</a>'
    return (f'<!DOCTYPE html><html lang="id"><head><meta charset="utf-8"><title>Indeks Berita</title>'
            f'</head><body><ul class="lsi">{items}</ul><div id="paginga"><div class="paging">{pager}'
            f'</div></div></body></html>')


def build_site(root: Path, articles: int, *, host: str = "www.tribunnews.com",
               pages_mix: tuple[int, ...] = (1, 1, 2, 4), per_index_page: int = 20,
               padding_kb: int = 0, day: date = date(2024, 5, 1), seed: int = 1,
               base_url: str | None = None, realistic: bool = False,
               page_all: str | None = None) -> list[GeneratedArticle]:
    """Write the site under ``root/host`` and return what each article should merge to.

    ``base_url`` bakes another origin into the links (a benchmark's static server);
    ``realistic`` adds the menus, sidebars and scripts that make real pages ~120 KB;
    ``page_all`` serves each multi-page article's ``?page=all`` view of that kind
    (write_page_all).
    """
    origin = base_url or f"https://{host}"
    rng = random.Random(seed)
    site = root / host
    padding = "var pad='" + "x" * (padding_kb * 1024) + "';" if padding_kb else ""
    generated = []
    for index in range(articles):
        url = f"{origin}/nasional/{8000000 + index}/artikel-nomor-{index}"
        count = pages_mix[index % len(pages_mix)]
        # About 12 paragraphs of 30-60 words: 3-5 KB of text per article, as real ones.
        pages = [[_paragraph(rng, f"A{index}P{n}Q{q}") for q in range(max(3, 12 // count))]
                 for n in range(1, count + 1)]
        article = GeneratedArticle(url, pages)
        generated.append(article)
        folder = site / "nasional" / str(8000000 + index)
        folder.mkdir(parents=True, exist_ok=True)
        for number in range(1, len(pages) + 1):
            name = f"artikel-nomor-{index}" + ("" if number == 1 else f"__page={number}")
            (folder / f"{name}.html").write_text(_page_html(host, article, index, number, padding, realistic))
        if page_all and count > 1:
            write_page_all(root, article, index, page_all, host, padding=padding, realistic=realistic)
    last = max(1, -(-articles // per_index_page))
    for number in range(1, last + 1):
        urls = [a.url for a in generated[(number - 1) * per_index_page: number * per_index_page]]
        query = f"date={day.year}-{day.month}-{day.day}" + ("" if number == 1 else f"&page={number}")
        (site / f"index-news__{query}.html").write_text(_index_html(origin, day, urls, number, last))
    (site / "robots.txt").write_text("User-agent: *\nDisallow: /api/\n")
    return generated


def write_article(root: Path, index: int, pages: list[list[str]], *, title: str, published: str,
                  modified: str | None = None, host: str = "www.tribunnews.com") -> GeneratedArticle:
    """One article of the 2024-26 template under ``root/host`` (again: to change it between
    runs), with these pages, title and JSON-LD dates; pages beyond ``len(pages)`` removed."""
    article = GeneratedArticle(f"https://{host}/nasional/{8000000 + index}/artikel-nomor-{index}", pages)
    folder = root / host / "nasional" / str(8000000 + index)
    folder.mkdir(parents=True, exist_ok=True)
    for old in folder.glob(f"artikel-nomor-{index}__page=*.html"):
        old.unlink()
    for number in range(1, len(pages) + 1):
        name = f"artikel-nomor-{index}" + ("" if number == 1 else f"__page={number}")
        (folder / f"{name}.html").write_text(_page_html(host, article, index, number, "", title=title,
                                                        published=published, modified=modified))
    return article


def write_page_all(root: Path, article: GeneratedArticle, index: int, view: str = "whole",
                   host: str = "www.tribunnews.com", **page: Any) -> None:
    """The article's ``?page=all`` view, as docs/field-reference.md section 8 assumes it (its
    markup was never saved): page 1's template, every page's text in order in the one body
    container, no pager, " - Halaman all" after the title. ``view``: "whole" (that),
    "disagreeing" (the last paragraph lost) or "page1" (the site ignores the parameter)."""
    folder = root / host / "nasional" / str(8000000 + index)
    (folder / f"artikel-nomor-{index}__page=all.html").write_text(
        _page_html(host, article, index, 1, page.pop("padding", ""), view=view, **page))


def write_news_sitemap(root: Path, entries: list[tuple[str, str]], host: str = "www.tribunnews.com") -> str:
    """``/nasional/sitemap-news.xml`` listing (URL, lastmod) entries; returns its URL."""
    urls = "".join(f"<url><loc>{url}</loc><lastmod>{lastmod}</lastmod></url>" for url, lastmod in entries)
    (root / host / "nasional").mkdir(parents=True, exist_ok=True)
    (root / host / "nasional" / "sitemap-news.xml").write_text(
        '<?xml version="1.0" encoding="UTF-8"?><urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">'
        f"{urls}</urlset>")
    return f"https://{host}/nasional/sitemap-news.xml"


def index_url(host: str = "www.tribunnews.com", day: date = date(2024, 5, 1)) -> str:
    return f"https://{host}/index-news?date={day.year}-{day.month}-{day.day}"
