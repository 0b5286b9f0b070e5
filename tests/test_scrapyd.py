"""Running on a real Scrapyd: deploy with scrapyd-deploy, schedule jobs, Scrapyd's rotation.

The Scrapyd server is started by the test on a free port, from a clean environment
(no PYTHONPATH to this checkout): its jobs run the deployed egg, as in production.
"""
from __future__ import annotations

import configparser
import json
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.parse
import urllib.request
import zipfile
from pathlib import Path

import pytest

from tests.conftest import REPO
from tests.fixture_site import FixtureSite

EMAS = "https://www.tribunnews.com/bisnis/2020/05/04/harga-emas-antam-naik"
PSBB = "https://www.tribunnews.com/nasional/2020/05/04/pemerintah-perpanjang-psbb-jakarta-hingga-akhir-mei"
BIN = Path(sys.executable).parent


class Scrapyd:
    def __init__(self, home: Path, port: int) -> None:
        self.home, self.base = home, f"http://127.0.0.1:{port}"

    def call(self, endpoint: str, data: list[tuple[str, str]] | None = None) -> dict:
        body = urllib.parse.urlencode(data).encode() if data is not None else None
        with urllib.request.urlopen(f"{self.base}/{endpoint}", data=body, timeout=30) as answer:
            return json.loads(answer.read())

    def run_job(self, *arguments: tuple[str, str]) -> str:
        """Schedule a tribun job, wait until it has finished, return its id."""
        job = self.call("schedule.json", [("project", "newscrawl"), ("spider", "tribun"),
                                          ("setting", "NEWSCRAWL_PROFILE=fast"), *arguments])["jobid"]
        deadline = time.monotonic() + 120
        while job not in {j["id"] for j in self.call("listjobs.json?project=newscrawl")["finished"]}:
            assert time.monotonic() < deadline, f"job {job} did not finish in 120 s"
            time.sleep(0.2)
        return job

    def log(self, job: str) -> str:
        return (self.home / "logs" / "newscrawl" / "tribun" / f"{job}.log").read_text(encoding="utf-8")

    def items(self) -> dict[str, list[dict]]:
        folder = self.home / "items" / "newscrawl" / "tribun"
        return {f.stem: [json.loads(line) for line in f.read_text().splitlines()] for f in folder.glob("*.jl")}


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def scrapyd(tmp_path):
    home = tmp_path / "scrapyd"
    home.mkdir()
    port = free_port()
    # Scrapyd's rotation made visible: only the newest item file and log are kept.
    (home / "scrapyd.conf").write_text(f"[scrapyd]\nbind_address = 127.0.0.1\nhttp_port = {port}\n"
                                       "items_dir = items\nlogs_dir = logs\njobs_to_keep = 1\n"
                                       "poll_interval = 0.2\nmax_proc = 1\n")
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "SCRAPY_SETTINGS_MODULE")}
    server = subprocess.Popen([sys.executable, "-m", "scrapyd"], cwd=home, env=env,
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    running = Scrapyd(home, port)
    deadline = time.monotonic() + 30
    while True:
        try:
            running.call("daemonstatus.json")
            break
        except OSError:
            assert server.poll() is None and time.monotonic() < deadline, "scrapyd did not start"
            time.sleep(0.1)
    yield running
    server.terminate()
    server.wait(timeout=30)


def checkout_copy(tmp_path: Path, port: int) -> Path:
    """The project as a user has it, with the [deploy] target pointed at the test's Scrapyd."""
    copy = tmp_path / "checkout"
    copy.mkdir()
    shutil.copytree(REPO / "newscrawl", copy / "newscrawl", ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copytree(REPO / "tests", copy / "tests", ignore=shutil.ignore_patterns("__pycache__", "fixtures"))
    shutil.copy(REPO / "setup.py", copy / "setup.py")
    (copy / "scrapy.cfg").write_text((REPO / "scrapy.cfg").read_text()
                                     .replace("http://localhost:6800/", f"http://127.0.0.1:{port}/"))
    return copy


def test_the_checkout_deploys_out_of_the_box():
    config = configparser.ConfigParser()
    config.read(REPO / "scrapy.cfg")
    assert config["deploy"]["url"] and config["deploy"]["project"] == "newscrawl"
    ignored = (REPO / ".gitignore").read_text().split()
    assert {"build/", "*.egg-info/"} <= set(ignored)


def test_deploy_schedule_and_rotation_lose_nothing(scrapyd, tmp_path):
    checkout = checkout_copy(tmp_path, int(scrapyd.base.rsplit(":", 1)[1]))
    egg = tmp_path / "newscrawl.egg"
    subprocess.run([BIN / "scrapyd-deploy", f"--build-egg={egg}"], cwd=checkout, check=True, capture_output=True)
    names = zipfile.ZipFile(egg).namelist()
    assert "newscrawl/spiders/tribun.py" in names and not any(n.startswith("tests/") for n in names)
    assert "EGG-INFO/entry_points.txt" in names
    deployed = subprocess.run([BIN / "scrapyd-deploy"], cwd=checkout, capture_output=True, text=True)
    assert deployed.returncode == 0 and '"status": "ok"' in deployed.stdout, deployed.stderr
    assert scrapyd.call("listspiders.json?project=newscrawl")["spiders"] == ["tribun"]

    with FixtureSite() as site:
        first = scrapyd.run_job(("urls", site.url(EMAS)))
        assert "OK (exit status 0)" in scrapyd.log(first)
        assert [item["url"] for item in scrapyd.items()[first]] == [site.url(EMAS)]
        second = scrapyd.run_job(("urls", site.url(PSBB)), ("setting", "NEWSCRAWL_CSV_FEED=1"))
        # Scrapyd keeps one item file (jobs_to_keep = 1): the first job's goes now ...
        third = scrapyd.run_job(("urls", site.url(EMAS)))
    assert "1 skipped as known" in scrapyd.log(third)
    assert first not in scrapyd.items() and second in scrapyd.items()
    # Nothing of ours in Scrapyd's items folder: every entry there takes a rotation place.
    assert [p.name for p in (scrapyd.home / "items" / "newscrawl" / "tribun").iterdir()] == [f"{second}.jl"]
    # ... but the run's own output, outside the rotation, still holds every exported article.
    own = [json.loads(line) for f in sorted((scrapyd.home / "output" / "tribun").glob("*.jsonl"))
           for line in f.read_text().splitlines()]
    assert sorted(item["url"] for item in own) == sorted([site.url(EMAS), site.url(PSBB)])
    [table] = (scrapyd.home / "output" / "tribun").glob("*.csv")  # the CSV beside the run's own JSONL
    assert table.with_suffix(".jsonl").exists() and site.url(PSBB) in table.read_text(encoding="utf-8-sig")


def test_a_job_refused_before_it_starts_says_why_in_its_log(scrapyd, tmp_path):
    checkout = checkout_copy(tmp_path, int(scrapyd.base.rsplit(":", 1)[1]))
    subprocess.run([BIN / "scrapyd-deploy"], cwd=checkout, check=True, capture_output=True)
    job = scrapyd.run_job(("url", "https://www.tribunnews.com/x"))  # a typo: url= for urls=
    log = scrapyd.log(job)
    assert "ERROR: scrapy crawl tribun: error: " in log and "(exit status 2)" in log
