"""Replay that tells the truth (issue 20): nothing foreign exported, the -a urls hosts
replayed, every encoding we accept decoded, an input archive never overwritten.
Hostile archives are made here with warcio."""
from __future__ import annotations

import gzip
import io
import json
import shutil
import zlib
from pathlib import Path

import brotli
import pytest
from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter

from tests.conftest import REPO, finalized_items, run_crawl
from tests.fixture_site import FIXTURE_ROOT

EMAS = "www.tribunnews.com/bisnis/2020/05/04/harga-emas-antam-naik"
KORUT = ("www.tribunnews.com/internasional/7712345/ukraina-dan-nato-dalam-masalah-serius-korea-utara-buka-"
         "opsi-kirim-senjata-mematikan-ke-rusia")


def page(path: str, query: str = "") -> bytes:
    return (FIXTURE_ROOT / (path + (f"__{query}" if query else "") + ".html")).read_bytes()


def zstd_compress(data: bytes) -> bytes:
    try:
        from compression import zstd
    except ImportError:
        from backports import zstd
    return zstd.compress(data)


class Archive:
    """A WARC written record by record with warcio, as another crawler writes one."""

    def __init__(self, info: dict[str, str]) -> None:
        self.buffer = io.BytesIO()
        self.writer = WARCWriter(self.buffer, gzip=True, warc_version="WARC/1.1")
        self.writer.write_record(self.writer.create_warcinfo_record("other.warc.gz", info))

    def response(self, url: str, body: bytes, headers: list[tuple[str, str]] | None = None,
                 date: str | None = "2026-07-24T05:00:00Z") -> "Archive":
        """A response record captured at ``date`` (None: a record without WARC-Date)."""
        record = self.writer.create_warc_record(
            url, "response", payload=io.BytesIO(body), warc_headers_dict={"WARC-Date": date or "2026-01-01T00:00:00Z"},
            http_headers=StatusAndHeaders("200 OK", headers or [("Content-Type", "text/html; charset=UTF-8")],
                                          protocol="HTTP/1.1"))
        if date is None:
            record.rec_headers.remove_header("WARC-Date")
        self.writer.write_record(record)
        return self

    def write(self, path: Path) -> Path:
        path.write_bytes(self.buffer.getvalue())
        return path


def foreign_pages(info: dict[str, str]) -> Archive:
    """Pages of other news sites, in article-shaped URLs, the kind a broad crawl holds."""
    archive = Archive(info)
    for n, host in enumerate(("www.kompas.com", "news.detik.com", "example.org")):
        archive.response(f"https://{host}/2020/05/04/berita-lain-{n}", page(EMAS))
    return archive


@pytest.fixture(scope="module")
def ours(tmp_path_factory):
    """An archive newscrawl wrote, of a crawl of the local site (host 127.0.0.1:port)."""
    from tests.fixture_site import FixtureSite

    work = tmp_path_factory.mktemp("ours")
    with FixtureSite() as site:
        run = run_crawl(work, "-a", f"urls={site.url('https://' + EMAS)}")
    assert run.returncode == 0, run.stderr
    [archive] = (work / "output").rglob("*.warc.gz")
    return archive, run.items()[0]["url"]


def test_a_foreign_archive_after_ours_exports_none_of_its_pages(ours, tmp_path):
    archive, url = ours
    foreign = foreign_pages({"software": "Wget/1.21.3", "description": "newscrawl job 2015 mirror"})
    both = tmp_path / "both.warc.gz"
    both.write_bytes(archive.read_bytes() + foreign.buffer.getvalue())  # cat ours.warc.gz wget.warc.gz
    run = run_crawl(tmp_path / "run", "-a", f"archive={both}")
    assert run.returncode == 0, run.stderr
    assert [item["url"] for item in finalized_items(tmp_path / "run")] == [url]
    assert run.stat("replay/other_hosts") == 3


@pytest.mark.parametrize("info", [{"software": "Wget/1.21.3"}, {"software": "newscrawl-mirror 1.0"},
                                  {"description": "newscrawl job 2015", "software": "Heritrix/3.4"}])
def test_a_foreign_archive_naming_newscrawl_is_not_taken_for_ours(tmp_path, info):
    foreign = foreign_pages(info).response("https://" + EMAS, page(EMAS)).write(tmp_path / "other.warc.gz")
    run = run_crawl(tmp_path / "run", "-a", f"archive={foreign}")
    assert run.returncode == 0, run.stderr
    assert [item["url"] for item in finalized_items(tmp_path / "run")] == ["https://" + EMAS]
    assert run.stat("replay/other_hosts") == 3


def test_the_hosts_of_urls_are_replayed_from_another_crawlers_archive(tmp_path):
    mirror = "http://127.0.0.1:8123/bisnis/2020/05/04/harga-emas-antam-naik"
    archive = Archive({"software": "Wget/1.21.3"}).response(mirror, page(EMAS)).write(tmp_path / "wget.warc.gz")
    run = run_crawl(tmp_path / "run", "-a", f"archive={archive}", "-a", f"urls={mirror}")
    assert run.returncode == 0, run.stderr
    [item] = finalized_items(tmp_path / "run")
    assert item["url"] == mirror and item["title"].startswith("Harga Emas Antam Naik")
    fixtures = tmp_path / "fixtures"
    done = fixture_command(archive, mirror, "--into", fixtures)
    assert done.returncode == 0, done.stderr
    assert (fixtures / "127.0.0.1:8123" / "bisnis/2020/05/04/harga-emas-antam-naik.html").read_bytes() == page(EMAS)


@pytest.mark.parametrize("encoding, compress", [("br", brotli.compress), ("zstd", zstd_compress),
                                                ("gzip", gzip.compress)])
def test_every_encoding_we_accept_replays(tmp_path, encoding, compress):
    pages = [("https://" + KORUT, page(KORUT)), ("https://" + KORUT + "?page=2", page(KORUT, "page=2")),
             ("https://" + KORUT + "?page=3", page(KORUT, "page=3"))]
    archive = Archive({"software": "warcprox/2.4"})
    for url, body in pages:
        archive.response(url, compress(body), [("Content-Type", "text/html; charset=UTF-8"),
                                              ("Content-Encoding", encoding)])
    path = archive.write(tmp_path / f"{encoding}.warc.gz")
    run = run_crawl(tmp_path / "run", "-a", f"archive={path}")
    assert run.returncode == 0, run.stderr
    [item] = finalized_items(tmp_path / "run")
    expected = json.loads((FIXTURE_ROOT / (KORUT + ".json")).read_text())
    assert (item["title"], item["page_count"], item["complete"]) == (expected["title"], 3, True)
    assert item["body"].startswith(expected["body"].split("\n\n")[0])
    done = fixture_command(path, "https://" + KORUT, "--into", tmp_path / "fixtures")  # decoded, no traceback
    assert done.returncode == 0, done.stderr
    assert (tmp_path / "fixtures" / (KORUT + "__page=2.html")).read_bytes() == page(KORUT, "page=2")


def test_output_onto_an_archive_being_replayed_is_refused(ours, tmp_path):
    archive, _ = ours
    copy = tmp_path / "self.warc.gz"
    copy.write_bytes(archive.read_bytes())
    for given in (str(copy), str(tmp_path)):  # the file itself, or a folder holding it
        run = run_crawl(tmp_path / "run", "-a", f"archive={given}", "-O", f"{copy}:jsonlines")
        assert run.returncode == 73, run.stderr
        assert f"{copy} is one of the archives this replay reads" in run.stderr
        assert copy.read_bytes() == archive.read_bytes()  # untouched


# ---- nothing silent: a bad record never drops the rest, and a lossy replay is not ok -------------

ARTICLES = ["www.tribunnews.com/bisnis/2020/05/04/harga-emas-antam-naik",
            "www.tribunnews.com/nasional/2020/05/04/kasus-covid-19-di-bekasi-bertambah",
            "www.tribunnews.com/regional/7698765/banjir-rendam-ratusan-rumah-di-kudus"]


def records(urls: list[str], gzip_members: bool = True) -> list[bytes]:
    """One record's bytes per URL (a gzip member each, or plain WARC)."""
    out = []
    for url in urls:
        buffer = io.BytesIO()
        writer = WARCWriter(buffer, gzip=gzip_members, warc_version="WARC/1.1")
        writer.write_record(writer.create_warc_record(
            url, "response", payload=io.BytesIO(page(url.split("://", 1)[1])),
            warc_headers_dict={"WARC-Date": "2026-07-24T05:00:00Z"},
            http_headers=StatusAndHeaders("200 OK", [("Content-Type", "text/html; charset=UTF-8")],
                                          protocol="HTTP/1.1")))
        out.append(buffer.getvalue())
    return out


S3_ERROR = (b'<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>InvalidRange</Code><Message>The requested range '
            b'is not satisfiable</Message></Error>')


def damaged(kind: str) -> tuple[bytes, str]:
    """An archive of four captures whose second is damaged as ``kind`` says; its suffix."""
    urls = [f"https://{a}" for a in ARTICLES] + ["https://www.tribunnews.com/nasional/2020/05/04/"
                                                 "pemerintah-perpanjang-psbb-jakarta-hingga-akhir-mei"]
    if kind.startswith("content-length"):
        plain = records(urls, gzip_members=False)
        length = int(plain[1].split(b"Content-Length: ", 1)[1].split(b"\r\n", 1)[0])
        wrong = length // 2 if kind.endswith("short") else length * 10  # too long swallows what follows
        plain[1] = plain[1].replace(b"Content-Length: %d" % length, b"Content-Length: %d" % wrong, 1)
        return b"".join(plain), ".warc"
    members = records(urls)
    if kind == "member cut in half":
        members[1] = members[1][: len(members[1]) // 2]
    elif kind == "S3 error body":
        members[1] = S3_ERROR
    elif kind == "binary garbage":
        members[1] = bytes(range(256)) * 8
    return b"".join(members), ".warc.gz"


@pytest.mark.parametrize("kind", ["member cut in half", "S3 error body", "binary garbage",
                                  "content-length too short", "content-length too long"])
def test_a_bad_record_is_skipped_named_and_the_rest_replayed(tmp_path, kind):
    data, suffix = damaged(kind)
    archive = tmp_path / f"damaged{suffix}"
    archive.write_bytes(data)
    run = run_crawl(tmp_path / "run", "-a", f"archive={archive}")
    assert run.returncode == 4, run.stderr  # not ok: records were lost
    exported = {item["url"] for item in finalized_items(tmp_path / "run")}
    # The records after the damage are read: the last two articles always come out.
    assert {f"https://{ARTICLES[2]}", "https://www.tribunnews.com/nasional/2020/05/04/"
            "pemerintah-perpanjang-psbb-jakarta-hingga-akhir-mei"} <= exported
    assert f"https://{ARTICLES[0]}" in exported
    assert "the archives lost records" in run.stderr
    errors = [line for line in run.stderr.splitlines() if "ERROR" in line and str(archive) in line]
    assert errors and all(line.isprintable() for line in errors)  # no raw bytes in the log
    assert any("skipped" in line or "cut short" in line for line in errors)


def test_a_replay_in_which_every_page_failed_is_never_ok(ours, tmp_path):
    archive, _ = ours
    missing = ",".join(f"https://www.tribunnews.com/nasional/2020/05/0{n}/tidak-ada" for n in (1, 2, 3))
    run = run_crawl(tmp_path / "run", "-a", f"archive={archive}", "-a", f"urls={missing}")
    assert run.returncode == 4, run.stderr
    assert "every entry point failed (3 of 3" in run.stderr


# ---- special files -------------------------------------------------------------------------------

def test_only_regular_files_inside_the_folder_are_read(ours, tmp_path):
    import os

    archive, url = ours
    folder = tmp_path / "archives"
    folder.mkdir()
    (folder / "ours.warc.gz").write_bytes(archive.read_bytes())
    os.mkfifo(folder / "pipe.warc")
    (folder / "zero.warc").symlink_to("/dev/zero")
    (folder / "passwd.warc").symlink_to("/etc/passwd")
    run = run_crawl(tmp_path / "run", "-a", f"archive={folder}", timeout=60)
    assert run.returncode == 0, run.stderr
    assert [item["url"] for item in finalized_items(tmp_path / "run")] == [url]
    assert "pipe.warc: skipped: not a regular file" in run.stderr
    assert "zero.warc: skipped: not a regular file" in run.stderr
    assert "passwd.warc: skipped: a link to /etc/passwd, outside the folder given" in run.stderr
    assert "root:" not in run.stderr  # nothing of it was read


def test_a_device_given_as_the_archive_is_one_line(tmp_path):
    run = run_crawl(tmp_path, "-a", "archive=/dev/zero", timeout=60)
    assert run.returncode == 2, run.stderr
    assert "/dev/zero: not a regular file or folder (a device, FIFO or socket)" in run.stderr


# ---- the fixture command -------------------------------------------------------------------------

def fixture_command(*args: str):
    import subprocess
    import sys

    from tests.conftest import crawl_env

    return subprocess.run([sys.executable, "-m", "newscrawl.archive.fixture", *map(str, args)], env=crawl_env(),
                          capture_output=True, text=True)


PSBB = "https://www.tribunnews.com/nasional/2020/05/04/pemerintah-perpanjang-psbb-jakarta-hingga-akhir-mei"


def test_the_fixture_command_writes_inside_its_folder_and_keeps_reviewed_records(tmp_path):
    hostile = f"{PSBB}?page=2&utm_source=/../../../../outside/PWNED"
    archive = (Archive({"software": "Wget/1.21.3"}).response(PSBB, page(PSBB.split("://")[1]))
               .response(hostile, page(PSBB.split("://")[1], "page=2")).write(tmp_path / "a.warc.gz"))
    into = tmp_path / "deep" / "fixtures"
    done = fixture_command(archive, PSBB, "--into", into)
    assert done.returncode == 0, done.stderr
    assert not list(tmp_path.rglob("PWNED*"))
    written = sorted(p.relative_to(into).as_posix() for p in into.rglob("*.html"))
    assert written == ["www.tribunnews.com/nasional/2020/05/04/pemerintah-perpanjang-psbb-jakarta-hingga-akhir-mei.html",
                       "www.tribunnews.com/nasional/2020/05/04/pemerintah-perpanjang-psbb-jakarta-hingga-akhir-mei"
                       "__page=2.html"]
    assert "the archives lack page(s) 3 of this article" in done.stderr
    # A person reviews a record (removes the mark): it is never replaced, unless --force.
    record = into / written[0].replace(".html", ".json")
    reviewed = {k: v for k, v in json.loads(record.read_text()).items() if k != "_unreviewed"}
    record.write_text(json.dumps(reviewed))
    again = fixture_command(archive, PSBB, "--into", into)
    assert again.returncode == 1 and "is a reviewed record: not replaced (--force replaces it)" in again.stderr
    assert json.loads(record.read_text()) == reviewed
    forced = fixture_command(archive, PSBB, "--into", into, "--force")
    assert forced.returncode == 0 and "_unreviewed" in json.loads(record.read_text())


def test_the_fixture_command_says_in_one_line_what_it_cannot_do(tmp_path):
    long_url = "https://www.tribunnews.com/nasional/2020/05/04/" + "judul-yang-sangat-panjang-" * 12
    archive = Archive({"software": "Wget/1.21.3"}).response(long_url, page(EMAS)).write(tmp_path / "a.warc.gz")
    done = fixture_command(archive, long_url, "--into", tmp_path / "fixtures")
    assert done.returncode == 1 and "Traceback" not in done.stderr
    assert done.stderr.startswith("python -m newscrawl.archive.fixture: error: cannot write ")
    empty = tmp_path / "empty.wacz"
    import zipfile

    with zipfile.ZipFile(empty, "w") as wacz:
        wacz.writestr("datapackage.json", "{}")
    done = fixture_command(empty, PSBB, "--into", tmp_path / "fixtures")
    assert "a WACZ with no WARC file inside" in done.stderr and done.returncode == 1
    run = run_crawl(tmp_path / "run", "-a", f"archive={empty}")
    assert "a WACZ with no WARC file inside" in run.stderr


# ---- hostile archives: memory and time ------------------------------------------------------------

def test_payloads_beyond_download_maxsize_are_refused_in_bounded_memory(tmp_path):
    """A capture of 64 MB (a few KB in the file) is refused unread; a page whose gzip payload
    inflates past DOWNLOAD_MAXSIZE is dropped as a live one is; the others replay."""
    huge = b"<html><body>" + b"\0" * (64 << 20) + b"</body></html>"
    bomb = gzip.compress(b"<p>" + b"x" * (32 << 20) + b"</p>")
    archive = (Archive({"software": "Wget/1.21.3"})
               .response("https://www.tribunnews.com/nasional/2020/05/04/raksasa", huge)
               .response("https://www.tribunnews.com/nasional/2020/05/04/bom", bomb,
                         [("Content-Type", "text/html"), ("Content-Encoding", "gzip")])
               .response("https://" + EMAS, page(EMAS)).write(tmp_path / "hostile.warc.gz"))
    assert archive.stat().st_size < 1 << 20
    run = run_crawl(tmp_path / "run", "-a", f"archive={archive}", "-s", "DOWNLOAD_MAXSIZE=8388608")
    assert [item["url"] for item in finalized_items(tmp_path / "run")] == ["https://" + EMAS]
    assert run.stat("replay/too_large") == 1
    assert run.stats.get("newscrawl/articles/failed", 0) == 1  # the bomb, dropped by Scrapy's limit


def test_a_wacz_with_a_compressed_warc_alone_is_said_and_never_ok(ours, tmp_path):
    import zipfile

    archive, _ = ours
    wacz = _wacz(tmp_path / "deflated.wacz", archive, zipfile.ZIP_DEFLATED)
    run = run_crawl(tmp_path / "run", "-a", f"archive={wacz}", timeout=60)
    assert run.returncode == 4, run.stderr
    assert "is compressed inside the zip, which WACZ does not allow: not replayed" in run.stderr


# ---- signals while the archives are read ----------------------------------------------------------

@pytest.mark.parametrize("signal_name", ["SIGTERM", "SIGINT"])
def test_a_signal_while_the_archives_are_read_stops_the_replay_at_once(tmp_path, signal_name):
    """The index of a large archive takes many seconds; Scrapy acts on a signal only once
    its reactor runs, after it. The reading stops within seconds: interrupted, exit 6."""
    import signal
    import subprocess
    import time

    from tests.conftest import crawl_command, crawl_env

    buffer = io.BytesIO()
    writer = WARCWriter(buffer, gzip=True, warc_version="WARC/1.1")
    for n in range(3_000):  # other hosts: skipped, but each one decompressed on the way past
        writer.write_record(writer.create_warc_record(
            f"https://www.kompas.com/read/{n}", "response", payload=io.BytesIO(b"<html>x</html>"),
            http_headers=StatusAndHeaders("200 OK", [("Content-Type", "text/html")], protocol="HTTP/1.1")))
    archive = tmp_path / "big.warc.gz"
    archive.write_bytes(buffer.getvalue())
    # A slow disk, made here: every record takes 5 ms to read (15 s for the file), so the
    # signal surely comes while the archive is being read, on any machine.
    slow = tmp_path / "slow"
    slow.mkdir()
    (slow / "sitecustomize.py").write_text(
        "import time\nimport newscrawl.archive.scanner as w\nchecked = w.Scanner.check_stop\n"
        "w.Scanner.check_stop = lambda self: (time.sleep(0.005), checked(self))\n")
    env = crawl_env()
    env["PYTHONPATH"] = f"{slow}:{env['PYTHONPATH']}"
    log = tmp_path / "stderr.log"
    with log.open("w") as stderr:
        crawl = subprocess.Popen(crawl_command("-a", f"archive={archive}"), cwd=tmp_path, env=env,
                                 stdout=subprocess.DEVNULL, stderr=stderr)
        deadline = time.monotonic() + 60
        while "Reading 1 archive file(s)" not in log.read_text():
            assert crawl.poll() is None and time.monotonic() < deadline, log.read_text()[-2000:]
            time.sleep(0.05)
        crawl.send_signal(getattr(signal, signal_name))  # the reading has begun, its handlers in place
        crawl.wait(timeout=60)
    output = log.read_text()
    assert crawl.returncode == 6, output[-3000:]
    assert "Stopped by a signal while reading the archives" in output
    assert "Replaying 0 archived URLs" in output  # stopped inside the reading, not after it


def test_a_header_line_without_end_is_read_in_linear_time(tmp_path):
    """A record whose header is one line of 20 MB without a newline (was quadratic: 50 MB took
    51 s): skipped at once, the records after it replayed; bounded by run_crawl's timeout."""
    http = b"HTTP/1.1 200 OK\r\nX-Long: " + b"a" * (20 << 20)
    long_line = (b"WARC/1.1\r\nWARC-Type: response\r\nWARC-Target-URI: https://www.tribunnews.com/nasional/"
                 b"2020/05/04/panjang\r\nWARC-Date: 2020-01-01T00:00:00Z\r\nContent-Type: application/http; "
                 b"msgtype=response\r\nContent-Length: %d\r\n\r\n" % len(http) + http + b"\r\n\r\n")
    archive = tmp_path / "long.warc.gz"
    archive.write_bytes(gzip.compress(long_line) + records([f"https://{EMAS}"])[0])
    run = run_crawl(tmp_path / "run", "-a", f"archive={archive}", timeout=60)
    assert [item["url"] for item in finalized_items(tmp_path / "run")] == [f"https://{EMAS}"], run.stderr


@pytest.mark.parametrize("header", [b"X-Long: " + b"a" * (8 << 20), b"X-Many: a\r\n" * (1 << 18)],
                         ids=["one line without end", "lines without a blank one"])
def test_a_header_that_never_ends_is_skipped_in_bounded_memory_and_never_ok(tmp_path, header):
    """A record whose headers never end (8 MB in one line, or 2.5 MB of lines without the
    blank one), between two copies of the sample archive: read at most 1 MB of it (a 1 GiB
    header took 3.2 GB before; bench/header_bench.py), named at its byte, failed, and the
    sample's articles replayed."""
    sample = (REPO / "samples" / "tribun-genuine-pages.warc.gz").read_bytes()
    endless = gzip.compress(b"WARC/1.1\r\nWARC-Type: response\r\nWARC-Target-URI: https://www.tribunnews.com/"
                            b"nasional/2020/05/04/x\r\n" + header)
    archive = tmp_path / "endless.warc.gz"
    archive.write_bytes(sample + endless + sample)
    run = run_crawl(tmp_path / "run", "-a", f"archive={archive}")
    assert run.returncode == 4, run.stderr
    assert any("ERROR" in line and f"{archive}: bytes {len(sample)}-{len(sample) + len(endless) - 1} skipped: "
               "HeaderTooLong" in line for line in run.stderr.splitlines()), run.stderr
    assert len(run.items()) == 2  # the sample's two articles (its second copy: the same captures)


@pytest.fixture(scope="module")
def multipage_archive(tmp_path_factory) -> Path:
    """The web archive of a crawl of 6 articles of 4 pages each."""
    from tests.fixture_site import FixtureSite
    from tests.sitegen import build_site, index_url

    root = tmp_path_factory.mktemp("multipage")
    build_site(root / "site", 6, pages_mix=(4,))
    with FixtureSite(root / "site") as site:
        run = run_crawl(root / "live", "-a", f"urls={site.url(index_url())}")
    assert run.returncode == 0, run.stderr
    [archive] = (root / "live" / "output").rglob("*.warc.gz")
    return archive


@pytest.mark.parametrize("share", [0.6, 0.75, 0.9])
def test_an_archive_cut_anywhere_is_named_and_never_ok(multipage_archive, tmp_path, share):
    """An interrupted download: cut inside a record, wherever it falls (a response's payload,
    its headers, a request record), the file is named at its offset and the verdict is not
    ok; what it held before was replayed."""
    data = multipage_archive.read_bytes()
    cut = tmp_path / "cut.warc.gz"
    cut.write_bytes(data[: int(len(data) * share)])
    run = run_crawl(tmp_path / "replay", "-a", f"archive={cut}")
    assert run.returncode == 4, run.stderr
    errors = [line for line in run.stderr.splitlines() if "ERROR" in line and str(cut) in line]
    assert errors and all("byte" in line for line in errors)
    assert "problem: the archives lost records" in run.stderr
    assert run.items()  # the articles before the cut were replayed


def _wacz(path: Path, warc: Path, compression: int) -> Path:
    import zipfile

    with zipfile.ZipFile(path, "w", compression=compression) as package:
        package.write(warc, "archive/data.warc.gz")
        package.writestr("datapackage.json", "{}")
    return path


def test_a_damaged_wacz_is_named_never_ok_and_the_archives_beside_it_replay(multipage_archive, tmp_path):
    """A WACZ cut short (no zip directory: a traceback before) and one whose WARC is deflated
    inside the zip (what `zip -r` makes; skipped with a mere warning before, `ok`): each named
    in an ERROR line and a problem, and the intact WARC beside them is replayed whole."""
    import zipfile

    folder = tmp_path / "archives"
    folder.mkdir()
    whole = _wacz(tmp_path / "whole.wacz", multipage_archive, zipfile.ZIP_STORED).read_bytes()
    (folder / "cut.wacz").write_bytes(whole[: len(whole) * 6 // 10])
    _wacz(folder / "zipped.wacz", multipage_archive, zipfile.ZIP_DEFLATED)
    shutil.copy(multipage_archive, folder / "intact.warc.gz")
    run = run_crawl(tmp_path / "replay", "-a", f"archive={folder}")
    assert run.returncode == 4, run.stderr
    assert "Traceback" not in run.stderr
    errors = [line for line in run.stderr.splitlines() if "ERROR" in line]
    assert any(f"{folder / 'cut.wacz'}: not a readable WACZ" in line for line in errors), errors
    assert any(f"{folder / 'zipped.wacz'}: archive/data.warc.gz is compressed inside the zip" in line
               for line in errors), errors
    assert "problem: the archives lost records: 2 part(s) of the archives could not be read" in run.stderr
    items = run.items()
    assert len(items) == 6 and all(item["complete"] and item["page_count"] == 4 for item in items)


def test_a_flipped_byte_loses_one_record_and_never_the_scope_of_those_after_it(multipage_archive, tmp_path):
    """Our archive of a local host (in scope by newscrawl's warcinfo, not by its host name): a
    byte flipped in the middle costs the record it falls in; the records after the resync are
    still ours, so they replay (they were counted as other hosts before, and skipped)."""
    data = bytearray(multipage_archive.read_bytes())
    starts, at = [], 0
    while at < len(data):  # the gzip members: one record each
        starts.append(at)
        inflate = zlib.decompressobj(16 + zlib.MAX_WBITS)
        inflate.decompress(bytes(data[at:]))
        at = len(data) - len(inflate.unused_data)
    first, after = max((s, e) for s, e in zip(starts, starts[1:] + [len(data)]) if s <= len(data) // 2)
    data[(first + after) // 2] ^= 0xFF  # inside its deflated data (never its header), which its CRC guards
    damaged = tmp_path / "flipped.warc.gz"
    damaged.write_bytes(bytes(data))
    run = run_crawl(tmp_path / "replay", "-a", f"archive={damaged}")
    assert run.returncode == 4, run.stderr
    assert "problem: the archives lost records" in run.stderr
    assert run.stats.get("newscrawl/replay/other_hosts", 0) == 0
    assert len(run.items()) >= 5  # one record lost: at most one article


def test_a_record_cut_inside_its_warc_header_is_named_and_never_ok(tmp_path):
    """The sample archive plus the first 180 bytes of a record's header: the file is named at
    the byte where that record starts, the verdict is failed, the whole records replay."""
    sample = REPO / "samples" / "tribun-genuine-pages.warc.gz"
    cut = tmp_path / "cut.warc.gz"
    header = (b"WARC/1.0\r\nWARC-Type: response\r\nWARC-Target-URI: https://www.tribunnews.com/nasional/2024/05/01/"
              b"x\r\nWARC-Date: 2024-05-01T00:00:00Z\r\nWARC-Record-ID: <urn:uuid:12345678-1234-1234-1234-12345")
    cut.write_bytes(sample.read_bytes() + header[:180])
    run = run_crawl(tmp_path / "replay", "-a", f"archive={cut}")
    assert run.returncode == 4, run.stderr
    start = sample.stat().st_size
    assert any("ERROR" in line and f"{cut}: bytes {start}-" in line for line in run.stderr.splitlines()), run.stderr
    assert len(run.items()) == 2  # the sample's two articles


def test_captures_damaged_after_indexing_are_errors_and_never_ok(multipage_archive, tmp_path):
    """A copy changed after it was indexed (another machine's copy of the same name and size,
    bytes flipped): each capture that cannot be read back is an ERROR line naming the file and
    the byte, and the verdict is failed (it was a count in the stats alone, `ok`)."""
    from tests.chaos import chaos_settings

    archive = tmp_path / "copy.warc.gz"
    shutil.copy(multipage_archive, archive)
    run = run_crawl(tmp_path / "replay", "-a", f"archive={archive}", *chaos_settings("DamageArchivesOnce"))
    assert run.returncode == 4, run.stderr
    errors = [line for line in run.stderr.splitlines() if "ERROR" in line and "cannot be read" in line]
    assert errors and all(f"{archive}: the capture of " in line and "at byte" in line for line in errors)
    assert run.stat("replay/unreadable") == len(errors)
    assert "could not be read back (the files changed?)" in run.stderr


def test_four_captures_with_four_bodies_are_four_versions_whatever_their_dates(tmp_path):
    """Captures of one URL are told apart by their content and their order in the file, not
    by their second: two share a WARC-Date, one has none (2 versions came out before, the
    others counted as unchanged)."""
    bodies = [page(EMAS).replace(b"<p>Harga pembelian kembali ", f"<p>Kabar ke-{n}. Harga pembelian kembali ".encode())
              for n in range(4)]
    archive = Archive({"software": "another crawler"})
    for body, date in zip(bodies, [None, "2026-07-20T05:00:00Z", "2026-07-21T05:00:00Z", "2026-07-21T05:00:00Z"]):
        archive.response(f"https://{EMAS}", body, date=date)
    run = run_crawl(tmp_path / "replay", "-a", f"archive={archive.write(tmp_path / 'four.warc.gz')}")
    assert run.returncode == 0, run.stderr
    items = run.items()
    assert [item["version"] for item in items] == [1, 2, 3, 4]
    assert [next(w for w in item["body"].split() if w.startswith("ke-")) for item in items] == \
        ["ke-0.", "ke-1.", "ke-2.", "ke-3."]
