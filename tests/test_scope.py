"""Hostile web, round 2: scope and safety. Nothing leaves the allowed hosts, no local file is
read, no door is opened on the machine, no credential is taken or logged."""
from __future__ import annotations

import os
import subprocess

import pytest

from tests.conftest import crawl_command, crawl_env, run_crawl
from tests.fixture_site import FixtureSite

EMAS = "https://www.tribunnews.com/bisnis/2020/05/04/harga-emas-antam-naik"
CABAI = "https://makassar.tribunnews.com/2022/08/19/harga-cabai-rawit-di-pasar-terong-makassar-tembus-rp-80-ribu"


def test_a_redirect_of_page_two_to_another_host_is_a_failed_page(site, tmp_path):
    # Another host of the fixture network, on another port: not among the -a urls hosts.
    site.faults[f"{CABAI}?page=2"] = ("redirect", site.url(EMAS))
    run = run_crawl(tmp_path, "-a", f"urls={site.url(CABAI)}")
    assert run.returncode == 0, run.stderr
    [item] = run.items()
    assert (item["page_count"], item["complete"]) == (2, False)
    assert "Antam" not in item["body"]  # the other host's text is not merged
    assert EMAS not in site.requests  # ... nor even requested
    assert run.stat("skipped/offsite") == 1 and run.stat("pages/failed") == 1


def test_file_links_and_canonicals_never_read_the_disk(tmp_path):
    secret = tmp_path / "secret" / "2020" / "05" / "04"
    secret.mkdir(parents=True)
    (secret / "rahasia").write_text("<html><h1 id='arttitle'>RAHASIA</h1><div class='side-article "
                                    "txt-article'><p>Isi berkas lokal.</p></div></html>")
    root = tmp_path / "site" / "www.tribunnews.com"
    (root / "nasional" / "2020" / "05" / "04").mkdir(parents=True)
    local = f"file://{tmp_path}/secret/2020/05/04/rahasia"
    looks_like_an_article = "file://localhost/nasional/2020/05/04/rahasia"
    (root / "index-news__date=2020-5-4.html").write_text(
        f'<html><body><ul class="lsi"><li class="ptb15"><h3><a href="{local}">a</a></h3></li>'
        f'<li class="ptb15"><h3><a href="{looks_like_an_article}">c</a></h3></li>'
        '<li class="ptb15"><h3><a href="https://www.tribunnews.com/nasional/2020/05/04/berita">b</a></h3></li></ul>'
        f'<div id="paginga"><div class="paging"><a href="{local}?page=2" data-ci-pagination-page="2">2</a>'
        '</div></div></body></html>')
    (root / "nasional" / "2020" / "05" / "04" / "berita.html").write_text(
        f'<html><head><link rel="canonical" href="{local}"></head><body><h1 id="arttitle">Berita</h1>'
        '<time>Senin, 4 Mei 2020 04:25 WIB</time><div class="side-article txt-article"><p>Isi berita.</p>'
        '</div></body></html>')
    with FixtureSite(tmp_path / "site") as running:
        run = run_crawl(tmp_path / "run", "-a", f"urls={running.url('https://www.tribunnews.com/index-news?date=2020-5-4')}")
    assert run.returncode == 0, run.stderr
    [item] = run.items()
    assert item["title"] == "Berita" and item["url"].startswith("http://127.0.0.1:")
    assert "RAHASIA" not in run.stdout + run.stderr and "Isi berkas" not in item["body"]
    # Dropped before any download handler (which for file:// is turned off as well):
    assert run.stat("skipped/offsite") >= 1


def test_the_crawl_opens_no_door_and_writes_nothing_in_home(site, tmp_path):
    home = tmp_path / "home"
    home.mkdir()
    done = subprocess.run(crawl_command("-a", f"urls={site.url(EMAS)}"), cwd=tmp_path,
                          env={**crawl_env(), "HOME": str(home)}, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert "Telnet console listening" not in done.stderr and "Remote control" not in done.stderr
    assert list(home.iterdir()) == []
    assert sorted(p.name for p in tmp_path.iterdir()) == [".newscrawl", "home", "output"]


def test_credentials_in_urls_are_refused_and_never_printed(site, tmp_path):
    url = site.url(EMAS).replace("http://", "http://reporter:s3cr3t-pass@")
    run = run_crawl(tmp_path, "-a", f"urls={url}")
    assert run.returncode == 2
    [line] = run.stderr.strip().splitlines()
    assert "holds a user name or password" in line and "s3cr3t" not in line and "reporter" not in line
    assert site.requests == []


def test_an_internationalized_host_name_is_crawled_under_its_punycode_name(site, tmp_path):
    local = site.url(EMAS)  # http://127.0.0.1:PORT/...: the same server under an IDN name
    idn = local.replace("127.0.0.1", "berita-bücher.localhost")
    run = run_crawl(tmp_path, "-s", "TWISTED_DNS_RESOLVER=tests.chaos.LocalDNS", "-a", f"urls={idn}")
    assert run.returncode == 0, run.stderr
    [item] = run.items()
    assert item["url"] == local.replace("127.0.0.1", "xn--berita-bcher-klb.localhost")
    assert item["title"] == "Harga Emas Antam Naik Rp 3.000" and run.stat("skipped/offsite") == 0


def test_an_internationalized_host_name_is_requested_and_allowed_in_punycode():
    from newscrawl.spiders.tribun import TribunSpider

    spider = TribunSpider(urls="http://bücher.example:8080/2020/01/01/judul")
    assert spider.options.urls == ("http://xn--bcher-kva.example:8080/2020/01/01/judul",)
    assert spider.allows("http://xn--bcher-kva.example:8080/2020/01/01/lain")
    assert not spider.allows("http://xn--bcher-kva.example:8081/2020/01/01/lain")  # another port
    assert not spider.allows("file:///etc/passwd") and spider.allows("https://solo.tribunnews.com/a")


def test_a_canonical_naming_another_article_loses_neither(tmp_path):
    from tests.sitegen import build_site

    first, second = build_site(tmp_path / "site", 2, pages_mix=(1,))
    page = tmp_path / "site" / "www.tribunnews.com" / "nasional" / "8000000" / "artikel-nomor-0.html"
    page.write_text(page.read_text().replace(f'<link rel="canonical" href="{first.url}">',
                                             f'<link rel="canonical" href="{second.url}">'))
    with FixtureSite(tmp_path / "site") as running:
        run = run_crawl(tmp_path / "run", "-a", f"urls={running.url(first.url)},{running.url(second.url)}")
        again = run_crawl(tmp_path / "run", "-a", f"urls={running.url(second.url)}")
    assert run.returncode == 0, run.stderr
    bodies = {item["url"]: item["body"] for item in run.items()}
    assert bodies == {running.url(first.url): first.body, running.url(second.url): second.body}
    assert run.stat("articles/canonical_ignored") == 1 and run.stat("dropped/duplicate_in_run") == 0
    assert again.stat("articles/known") == 1  # and later runs know each under its own URL


def test_dash_o_onto_a_symlink_fifo_or_device_is_refused(site, tmp_path):
    target = tmp_path / "elsewhere.jsonl"
    target.write_text("keep me\n")
    (tmp_path / "link.jsonl").symlink_to(target)
    os.mkfifo(tmp_path / "pipe.jsonl")
    for given, kind in (("link.jsonl", "a symlink"), ("pipe.jsonl", "a FIFO"), ("/dev/null:jsonlines", "a device")):
        run = run_crawl(tmp_path, "-O", given, "-a", f"urls={site.url(EMAS)}")
        assert run.returncode == 73, run.stderr
        [line] = run.stderr.strip().splitlines()
        assert f"is {kind}" in line and "not a regular file" in line
    assert (tmp_path / "link.jsonl").is_symlink() and target.read_text() == "keep me\n"
    assert site.requests == []


@pytest.mark.parametrize("count, fast", [(3, True), (6, True), (6, False)], ids=["3 urls", "6 urls", "polite"])
def test_robots_txt_is_obeyed_by_every_start_url(tmp_path, count, fast):
    """Scrapy lets all but the first request that waited for robots.txt through unchecked;
    here none of them reaches the host."""
    from tests.sitegen import build_site

    build_site(tmp_path / "site", count, pages_mix=(1,))
    (tmp_path / "site" / "www.tribunnews.com" / "robots.txt").write_text("User-agent: newscrawl\nDisallow: /\n")
    urls = [f"https://www.tribunnews.com/nasional/{8000000 + n}/artikel-nomor-{n}" for n in range(count)]
    with FixtureSite(tmp_path / "site") as site:
        run = run_crawl(tmp_path / "run", "-a", "urls=" + ",".join(site.url(u) for u in reversed(urls)), fast=fast)
    assert site.requests == ["https://www.tribunnews.com/robots.txt"]
    assert run.stats["robotstxt/forbidden"] == count
    assert run.returncode == 4, run.stderr
    assert f"robots.txt forbade {count} request(s) to this crawler" in run.stderr
    assert not list((tmp_path / "run" / "output").rglob("*.jsonl"))
