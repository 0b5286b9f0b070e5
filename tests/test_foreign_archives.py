"""Replaying archives newscrawl did not write (README "Tribun history from Common Crawl and
other archives"): a Common Crawl-shaped WARC built with warcio, and the same as a WACZ.

The archive holds, as real ones do: records of other hosts, the pages of the older (2015,
2018) and 2020 templates captured over http://, a duplicate capture (an earlier draft and a
later 503), a ``revisit`` record whose original is in the archive and one whose original is
not, a 404, a chunked and gzip-compressed payload, a multi-page article with one page
missing, and a last record cut short.
"""
from __future__ import annotations

import gzip
import io
import json
import zipfile
from pathlib import Path

import pytest
from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter

from tests.conftest import run_crawl
from tests.fixture_site import FIXTURE_ROOT

SITE = FIXTURE_ROOT
KPK = "www.tribunnews.com/nasional/2015/06/19/kpk-siap-hadapi-gugatan-praperadilan-novel-baswedan"
BERAS = "surabaya.tribunnews.com/2018/03/12/harga-beras-di-pasar-wonokromo-mulai-turun"
PSBB = "www.tribunnews.com/nasional/2020/05/04/pemerintah-perpanjang-psbb-jakarta-hingga-akhir-mei"
GONE = "www.tribunnews.com/nasional/2015/06/20/berita-yang-terpotong"
OTHER_HOSTS = 25


def page(path: str, query: str = "") -> bytes:
    return (SITE / (path + (f"__{query}" if query else "") + ".html")).read_bytes()


def expected(path: str, query: str = "") -> dict:
    return json.loads((SITE / (path + (f"__{query}" if query else "") + ".json")).read_text(encoding="utf-8"))


def chunked(data: bytes, size: int = 700) -> bytes:
    parts = [b"%x\r\n%s\r\n" % (len(data[i:i + size]), data[i:i + size]) for i in range(0, len(data), size)]
    return b"".join(parts) + b"0\r\n\r\n"


class CommonCrawlLike:
    """Writes the test archive with warcio, record by record (each its own gzip member)."""

    def __init__(self) -> None:
        self.buffer = io.BytesIO()
        self.writer = WARCWriter(self.buffer, gzip=True, warc_version="WARC/1.1")
        self.writer.write_record(self.writer.create_warcinfo_record(
            "CC-MAIN-20160205-00001.warc.gz", {"software": "Apache Nutch 1.12 (modified, https://commoncrawl.org/)",
                                               "isPartOf": "CC-MAIN-2016-07"}))

    def response(self, url: str, body: bytes, date: str, status: str = "200 OK",
                 headers: list[tuple[str, str]] | None = None):
        record = self.writer.create_warc_record(
            url, "response", payload=io.BytesIO(body), warc_headers_dict={"WARC-Date": date},
            http_headers=StatusAndHeaders(status, headers or [("Content-Type", "text/html; charset=UTF-8")],
                                          protocol="HTTP/1.1"))
        self.writer.write_record(record)
        return record

    def revisit(self, url: str, digest: str, refers_to: str, date: str) -> None:
        record = self.writer.create_revisit_record(
            url, digest, refers_to, "2018-03-12T08:00:00Z",
            http_headers=StatusAndHeaders("200 OK", [("Content-Type", "text/html; charset=UTF-8")],
                                          protocol="HTTP/1.1"))
        record.rec_headers.replace_header("WARC-Date", date)
        self.writer.write_record(record)

    def bytes(self) -> bytes:
        return self.buffer.getvalue()


def build(folder: Path) -> Path:
    warc = CommonCrawlLike()
    for n in range(OTHER_HOSTS):  # most of a Common Crawl file: other hosts
        host = ("www.kompas.com", "news.detik.com", "example.org")[n % 3]
        warc.response(f"https://{host}/read/{n}", b"<html><body>" + b"lain " * 400 + b"</body></html>",
                      "2016-02-05T10:00:00Z")
    # The 2015 article: an early draft, the capture that wins, and a later error answer.
    warc.response(f"http://{KPK}", page(KPK).replace(b"Sidang perdana", b"DRAF Sidang"), "2015-06-19T06:00:00Z")
    warc.response(f"http://{KPK}", page(KPK), "2016-02-05T10:01:00Z")
    warc.response(f"http://{KPK}", b"<html>Service Unavailable</html>", "2016-02-06T10:00:00Z", "503 Service Unavailable")
    # The 2018 regional article: page 1 captured, then revisited unchanged; page 2 chunked and gzipped.
    first = warc.response(f"http://{BERAS}", page(BERAS), "2018-03-12T08:00:00Z")
    warc.revisit(f"http://{BERAS}", first.rec_headers.get_header("WARC-Payload-Digest"), f"http://{BERAS}",
                 "2019-01-01T00:00:00Z")
    warc.response(f"http://{BERAS}?page=2", chunked(gzip.compress(page(BERAS, "page=2"))), "2018-03-12T08:00:05Z",
                  headers=[("Content-Type", "text/html; charset=UTF-8"), ("Transfer-Encoding", "chunked"),
                           ("Content-Encoding", "gzip")])
    # A revisit whose original is in no given archive, and a 404.
    warc.revisit("http://www.tribunnews.com/nasional/2015/06/19/tanpa-asli", "sha1:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
                 "http://www.tribunnews.com/nasional/2015/06/19/tanpa-asli", "2016-02-05T11:00:00Z")
    warc.response("http://www.tribunnews.com/nasional/2015/06/19/tidak-ada", b"<html>404</html>",
                  "2016-02-05T11:01:00Z", "404 Not Found")
    # The 2020 article of three pages; page 3 was never captured.
    warc.response(f"https://{PSBB}", page(PSBB), "2020-05-04T05:00:00Z")
    warc.response(f"https://{PSBB}?page=2", page(PSBB, "page=2"), "2020-05-04T05:00:02Z")
    # Last, an article whose record the file cuts short.
    data = warc.bytes()
    warc.response(f"http://{GONE}", page(KPK).replace(b"KPK Siap", b"Terpotong"), "2016-02-05T12:00:00Z")
    whole = warc.bytes()
    path = folder / "CC-MAIN-20160205-00001.warc.gz"
    path.write_bytes(whole[:len(data) + (len(whole) - len(data)) // 2])
    (folder / "intact" / path.name).parent.mkdir()
    (folder / "intact" / path.name).write_bytes(data)  # the same without the record cut short
    return path


def as_wacz(warc: Path) -> Path:
    wacz = warc.with_name("capture.wacz")
    with zipfile.ZipFile(wacz, "w") as archive:
        archive.write(warc, "archive/data.warc.gz", compress_type=zipfile.ZIP_STORED)
        archive.writestr("datapackage.json", json.dumps({"profile": "data-package", "wacz_version": "1.1.1"}))
    return wacz


@pytest.fixture(scope="module")
def common_crawl(tmp_path_factory) -> Path:
    return build(tmp_path_factory.mktemp("cc"))


@pytest.mark.parametrize("form", ["warc", "wacz"])
def test_a_foreign_archive_replays_to_exactly_the_expected_items(common_crawl, tmp_path, form):
    archive = common_crawl if form == "warc" else as_wacz(common_crawl)
    run = run_crawl(tmp_path, "-s", "TWISTED_DNS_RESOLVER=tests.chaos.NoDNS", "-a", f"archive={archive}")
    # Everything whole is replayed; the last record, cut short, makes the replay incomplete.
    assert run.returncode == 4, run.stderr
    assert "the archives lost records: 1 capture(s) were cut short" in run.stderr
    assert "is cut short" in run.stderr and "ERROR" in run.stderr
    [feed] = (tmp_path / "output" / "tribun-replay").glob("*.jsonl")
    items = {i["url"]: i for i in map(json.loads, feed.read_text(encoding="utf-8").splitlines())}
    assert sorted(items) == sorted(f"https://{p}" for p in (KPK, BERAS, PSBB))

    kpk = expected(KPK)  # the latest served capture: not the draft, not the 503
    assert {k: items[kpk["url"]][k] for k in ("title", "published_at", "authors", "editor", "tags", "body")} == \
        {k: kpk[k] for k in ("title", "published_at", "authors", "editor", "tags", "body")}
    beras = items[f"https://{BERAS}"]  # page 1 through its revisit record, page 2 de-chunked and gunzipped
    assert beras["body"] == "\n\n".join([expected(BERAS)["body"], expected(BERAS, "page=2")["body"]])
    assert beras["complete"] is True and beras["page_count"] == 2
    assert beras["published_at"] == "2018-03-12T14:20:00+07:00" and beras["authors"] == ["Nur Ika Anisa"]
    psbb = items[f"https://{PSBB}"]  # page 3 was never captured
    assert psbb["complete"] is False and psbb["page_count"] == 3
    page_two, page_three = expected(PSBB, "page=2")["body"], expected(PSBB, "page=3")["body"]
    assert psbb["body"].startswith(expected(PSBB)["body"]) and psbb["body"].endswith(page_two.split("\n\n")[-1])
    assert page_three.split("\n\n")[-1] not in psbb["body"]

    assert run.stat("replay/other_hosts") == OTHER_HOSTS  # skipped, never parsed
    assert run.stat("replay/truncated") == 1 and run.stat("replay/unresolved_revisits") == 1
    assert run.stat("replay/missing") == 1  # PSBB page 3
    assert run.stat("replay/responses") + 1 == run.stats["downloader/request_count"]  # no request left the archive


def test_a_capture_that_cannot_be_read_back_fails_its_page_only(common_crawl, tmp_path):
    from scrapy import Request

    from newscrawl.archive.index import ArchiveIndex
    from newscrawl.archive.replay import NotInArchive, UnreadableCapture, archived_response

    copy = tmp_path / common_crawl.name
    copy.write_bytes(common_crawl.read_bytes())
    index = ArchiveIndex.read([copy])
    assert archived_response(index, Request(f"https://{KPK}")).status == 200
    copy.unlink()  # the file vanished after it was indexed
    with pytest.raises(UnreadableCapture, match="cannot be read"):
        archived_response(index, Request(f"https://{KPK}"))
    with pytest.raises(NotInArchive):
        archived_response(index, Request("https://www.tribunnews.com/nasional/2015/06/19/tidak-pernah"))


def test_fastwarc_finds_what_warcio_finds_and_leaves_damage_to_warcio(common_crawl, tmp_path):
    """The fast pass (FastWARC, newscrawl/archive/fastscan.py) reads an intact archive to the
    same captures, offsets, revisits and counts as warcio alone; a damaged one (this common
    crawl file is cut short) it leaves to warcio, which names the damage."""
    from newscrawl.archive.index import ArchiveIndex

    whole = common_crawl.parent / "intact" / common_crawl.name
    sample = Path(__file__).resolve().parent.parent / "samples" / "tribun-genuine-pages.warc.gz"
    for files, slow in (([whole, sample], 0), ([common_crawl], 1), ([as_wacz(whole)], 0)):
        fast, reference = ArchiveIndex.of(files), ArchiveIndex.of(files)
        reference.scanner.fast = False
        for index in (fast, reference):
            for number in range(len(index.sources)):
                index.scanner.scan(number)
            index.choose()
        assert fast.captures and fast.captures == reference.captures and fast.history == reference.history
        assert {k: v for k, v in vars(fast.counts).items() if k != "slow_reads"} == \
            {k: v for k, v in vars(reference.counts).items() if k != "slow_reads"}
        assert fast.counts.slow_reads == slow and reference.counts.slow_reads == len(files)
