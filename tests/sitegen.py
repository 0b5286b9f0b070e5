"""Generate a synthetic Tribun site of N articles for crawl-scale tests and benchmarks.

Pages follow the 2024-26 template of tribun-site.md (JSON-LD ``@graph``, ``h5#penulis``,
``pagination-wrap``) with ads and scripts in the body, so extraction does its real work;
``padding_kb`` adds script weight to reach real page sizes (100-150 KB) for benchmarks.
Served by tests/fixture_site.py like the hand-written fixtures.
"""
from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import date
from pathlib import Path

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
    words = [rng.choice(WORDS) for _ in range(rng.randint(18, 40))]
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
               realistic: bool = False) -> str:
    url = article.url
    links = "".join(f'<a rel="page-{n}" class="active">{n}</a>' if n == number else
                    f'<a href="{url}{"" if n == 1 else f"?page={n}"}" rel="page-{n}">{n}</a>'
                    for n in range(1, len(article.pages) + 1))
    paging = (f'<div class="paging"><div class="pagination-wrap"><span class="total-page">Halaman '
              f'{number}/{len(article.pages)}</span><div class="page-number">{links}</div></div></div>'
              if len(article.pages) > 1 else "")
    paragraphs = article.pages[number - 1]
    body = "\n".join(f"<p>{p}</p>" + ('<div id="div-gpt-ad-inarticle" class="ads-placeholder"><script>'
                                       'googletag.cmd.push(function(){});</script></div>' if i == 1 else "")
                     for i, p in enumerate(paragraphs))
    title = f"Artikel Nomor {index} tentang Pembangunan Daerah"
    header, footer = _chrome(url.split("/nasional/")[0], index) if realistic else ("", "")
    return f"""<!DOCTYPE html>
<html lang="id"><head><meta charset="utf-8"><title>{title} | Tribunnews.com</title>
<meta name="description" content="Ringkasan artikel nomor {index}.">
<link rel="canonical" href="{url}">
<script type="application/ld+json">{{"@context":"https://schema.org","@graph":[{{"@type":"NewsArticle","headline":"{title}","datePublished":"2024-05-01T{index % 24:02d}:{index % 60:02d}:00+07:00","author":[{{"@type":"Person","name":"Penulis {index % 7}"}}],"keywords":["daerah","nomor {index % 5}"]}},{{"@type":"BreadcrumbList","itemListElement":[{{"@type":"ListItem","position":1,"name":"Home"}},{{"@type":"ListItem","position":2,"name":"Nasional"}}]}}]}}</script>
<script>window.dataLayer=window.dataLayer||[];window.dataLayer.push({{'idArticle':'{8000000 + index}','section':'nasional'}});</script>
<script>{padding}</script>
</head><body class="article-page">{header}
<h1 id="arttitle" class="f50 black2 f400 crimson">{title}</h1>
<h2 class="hide">Ringkasan artikel nomor {index}.</h2>
<div class="grey bdr3 pb10 pt10"><time><strong>Tayang:</strong> <span>Rabu, 1 Mei 2024 10:00 WIB</span></time></div>
<h5 id="penulis">Penulis: <b><a href="https://{host}/penulis/p">Penulis {index % 7}</a></b><span>|</span>Editor: <b><a>Editor</a></b></h5>
<div class="side-article txt-article multi-fontsize editcontent">
{body}
<p class="baca">Baca juga: <a href="https://{host}/nasional/7000001/lain">Berita lain</a></p>
</div>
<div class="side-article mb5">{paging}<div class="rekomendasi"><h3>Rekomendasi untuk Anda</h3></div></div>
{footer or '<footer>&copy; 2024 TRIBUNnews.com Network</footer>'}
</body></html>
"""


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
               base_url: str | None = None, realistic: bool = False) -> list[GeneratedArticle]:
    """Write the site under ``root/host`` and return what each article should merge to.

    ``base_url`` bakes another origin into the links (a benchmark's static server);
    ``realistic`` adds the menus, sidebars and scripts that make real pages ~120 KB.
    """
    origin = base_url or f"https://{host}"
    rng = random.Random(seed)
    site = root / host
    padding = "var pad='" + "x" * (padding_kb * 1024) + "';" if padding_kb else ""
    generated = []
    for index in range(articles):
        url = f"{origin}/nasional/{8000000 + index}/artikel-nomor-{index}"
        pages = [[_paragraph(rng, f"A{index}P{n}Q{q}") for q in range(4)]
                 for n in range(1, pages_mix[index % len(pages_mix)] + 1)]
        article = GeneratedArticle(url, pages)
        generated.append(article)
        folder = site / "nasional" / str(8000000 + index)
        folder.mkdir(parents=True, exist_ok=True)
        for number in range(1, len(pages) + 1):
            name = f"artikel-nomor-{index}" + ("" if number == 1 else f"__page={number}")
            (folder / f"{name}.html").write_text(_page_html(host, article, index, number, padding, realistic))
    last = max(1, -(-articles // per_index_page))
    for number in range(1, last + 1):
        urls = [a.url for a in generated[(number - 1) * per_index_page: number * per_index_page]]
        query = f"date={day.year}-{day.month}-{day.day}" + ("" if number == 1 else f"&page={number}")
        (site / f"index-news__{query}.html").write_text(_index_html(origin, day, urls, number, last))
    (site / "robots.txt").write_text("User-agent: *\nDisallow: /api/\n")
    return generated


def index_url(host: str = "www.tribunnews.com", day: date = date(2024, 5, 1)) -> str:
    return f"https://{host}/index-news?date={day.year}-{day.month}-{day.day}"
