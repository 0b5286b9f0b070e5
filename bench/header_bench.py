"""A record whose header never ends, in a small archive: the sample archive, then one gzip
member holding a WARC header of ``--mib`` MiB without an end (a 1 GiB header compresses to
about 1 MiB), then the sample archive again. Measures a real replay of it: seconds, the
crawl's peak RSS (the crawl is this script's child) and its exit status. Before headers
were bounded, 1 GiB took 122 s and 3.2 GB.

    .venv/bin/python bench/header_bench.py [--mib 1024]
"""
from __future__ import annotations

import argparse
import os
import resource
import subprocess
import sys
import tempfile
import time
import zlib
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent


def write_archive(path: Path, mib: int) -> None:
    sample = (REPO / "samples" / "tribun-genuine-pages.warc.gz").read_bytes()
    member = zlib.compressobj(9, zlib.DEFLATED, 31)
    with path.open("wb") as out:
        out.write(sample)
        out.write(member.compress(b"WARC/1.1\r\nWARC-Type: response\r\nWARC-Target-URI: "
                                  b"https://www.tribunnews.com/nasional/2020/05/04/x\r\nX-Long: "))
        block = b"a" * (1 << 20)
        for _ in range(mib):
            out.write(member.compress(block))
        out.write(member.flush())
        out.write(sample)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mib", type=int, default=1024)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        archive = Path(folder) / "endless.warc.gz"
        write_archive(archive, args.mib)
        env = {**os.environ, "SCRAPY_SETTINGS_MODULE": "newscrawl.settings",
               "PYTHONPATH": os.pathsep.join([str(REPO), os.environ.get("PYTHONPATH", "")])}
        started = time.perf_counter()
        done = subprocess.run([sys.executable, "-m", "scrapy", "crawl", "tribun", "-a", f"archive={archive}"],
                              cwd=folder, env=env, capture_output=True, text=True)
        seconds = time.perf_counter() - started
        rss = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
        print(f"header of {args.mib} MiB in an archive of {archive.stat().st_size / 1e6:.1f} MB: "
              f"{seconds:.2f} s, peak RSS {rss:.0f} MB, exit status {done.returncode}")


if __name__ == "__main__":
    main()
