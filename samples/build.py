"""Write samples/tribun-genuine-pages.warc.gz from the two genuine pages in the test fixtures.

    python samples/build.py

Each page's HTML is the genuine page, byte for byte (tests/fixtures/REAL-PAGES.md gives
where each comes from). What is not genuine is said in the archive's warcinfo record and in
samples/README.md: the HTTP status line and headers (nobody saved them; these are the
minimal ones a server sends) and the capture times (the day each page was saved, at the
time its page shows it was rendered, for 2015; the htmldate test set's file name, a Unix
time, for 2020).
"""
from __future__ import annotations

import io
from pathlib import Path

from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter

ROOT = Path(__file__).resolve().parent.parent
SITE = ROOT / "tests" / "fixtures" / "site" / "www.tribunnews.com"
OUT = ROOT / "samples" / "tribun-genuine-pages.warc.gz"
PAGES = [
    ("https://www.tribunnews.com/metropolitan/2015/06/19/"
     "kadishub-dki-taksi-uber-tak-punya-izin-operasi-uji-kir-tidak-berargo-dan-bermahkota",
     SITE / "metropolitan/2015/06/19/kadishub-dki-taksi-uber-tak-punya-izin-operasi-uji-kir-tidak-berargo-dan-bermahkota.html",
     "2015-06-19T06:05:00Z"),  # the page's header clock: 13:05 WIB
    ("https://www.tribunnews.com/pendidikan/2020/05/04/"
     "jawaban-soal-apa-dampak-negatif-jika-menunda-pekerjaan-belajar-dari-rumah-sma-di-tvri",
     SITE / "pendidikan/2020/05/04/jawaban-soal-apa-dampak-negatif-jika-menunda-pekerjaan-belajar-dari-rumah-sma-di-tvri.html",
     "2020-07-28T03:43:02Z"),  # htmldate's file name, 1595907782
]
INFO = {
    "software": "newscrawl samples/build.py (warcio)",
    "description": "Two genuine Tribunnews pages, byte for byte (page 1 of 4 of a 2020 article; a 2015 "
                   "single-page article). NOT genuine: the HTTP headers (minimal, made up) and the capture "
                   "times (approximate). Provenance: tests/fixtures/REAL-PAGES.md, samples/README.md.",
    "isPartOf": "newscrawl sample archive",
}


def main() -> None:
    with OUT.open("wb") as out:
        writer = WARCWriter(out, gzip=True)
        writer.write_record(writer.create_warcinfo_record(OUT.name, INFO))
        for url, page, captured in PAGES:
            html = page.read_bytes()
            headers = StatusAndHeaders("200 OK", [("Content-Type", "text/html; charset=UTF-8"),
                                                  ("Content-Length", str(len(html)))], protocol="HTTP/1.1")
            writer.write_record(writer.create_warc_record(url, "response", payload=io.BytesIO(html),
                                                          http_headers=headers,
                                                          warc_headers_dict={"WARC-Date": captured}))
    print(f"{OUT}: {OUT.stat().st_size:,} bytes")


if __name__ == "__main__":
    main()
