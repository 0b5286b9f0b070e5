"""The suite's and the docs' own guarantees: no test leaves a process behind, every link of
the docs leads somewhere, the README stays a page a newcomer reads."""
from __future__ import annotations

import re
import subprocess
import sys

from tests.conftest import REPO, SESSION_MARK, crawl_env


def test_a_test_that_leaves_a_process_behind_fails_the_run(tmp_path):
    """Found by the session's mark (sleep 61) and by descent, where the mark is gone (sleep 62)."""
    (tmp_path / "conftest.py").write_text("from tests.conftest import pytest_sessionfinish  # noqa: F401\n")
    (tmp_path / "test_leaky.py").write_text("import os\nimport subprocess\n\n\ndef test_leaky():\n"
                                            "    subprocess.Popen(['sleep', '61'])\n"
                                            "    subprocess.Popen(['sleep', '62'], env={'PATH': os.environ['PATH']})\n")
    env = {k: v for k, v in crawl_env().items() if k != SESSION_MARK}  # a session of its own
    done = subprocess.run([sys.executable, "-m", "pytest", "-p", "no:xdist", "-p", "no:cacheprovider", "-c", "/dev/null",
                           "--rootdir", str(tmp_path), "-q", "test_leaky.py"],
                          cwd=tmp_path, env=env, capture_output=True, text=True, timeout=60)
    left = subprocess.run(["pgrep", "-a", "-f", "^sleep 6[12]$"], capture_output=True, text=True).stdout
    subprocess.run(["pkill", "-f", "^sleep 6[12]$"])
    assert done.returncode == 1, done.stdout + done.stderr + f"\nstill running: {left!r}"
    assert "1 passed" in done.stdout and "2 process(es) left behind by the tests (killed now)" in done.stdout
    assert "sleep 61" in done.stdout and "sleep 62" in done.stdout
    assert not left  # killed


def _slug(heading: str) -> str:
    return re.sub(r"[^\w\- ]", "", heading.strip().lower()).replace(" ", "-")


def test_every_link_of_the_docs_leads_to_a_file_and_heading_that_exist():
    files = [REPO / "README.md", *sorted((REPO / "docs").glob("*.md"))]
    headings = {}
    for file in files:
        text = re.sub(r"```.*?```", "", file.read_text(), flags=re.S)
        headings[file] = {_slug(h) for h in re.findall(r"^#{1,6} (.+)$", text, flags=re.M)}
    broken = []
    for file in files:
        for target in re.findall(r"\]\(([^)\s]+)\)", file.read_text()):
            if "://" in target or target.startswith("mailto:"):
                continue
            path, _, anchor = target.partition("#")
            linked = (file.parent / path).resolve() if path else file
            if not linked.exists() or (anchor and linked.suffix == ".md" and anchor not in headings.get(linked, ())):
                broken.append(f"{file.relative_to(REPO)}: {target}")
    assert broken == []


def test_the_readme_is_a_page_a_newcomer_reads():
    readme = (REPO / "README.md").read_text()
    assert len(readme.splitlines()) <= 400
    first_screen = "\n".join(readme.splitlines()[:30])
    assert "pip install -r requirements.txt && scrapy crawl tribun" in first_screen
    test = "pip install -r requirements-dev.txt && python -m pytest -n 6"
    assert test in first_screen
    assert test in (REPO / ".ci" / "run").read_text()  # CI runs the README's command, word for word


def test_every_installed_package_is_pinned_by_the_lock():
    """requirements.txt names constraints.txt: what this venv holds (runtime and tests, every
    transitive package) is pinned there at the version installed."""
    from importlib.metadata import distributions

    from packaging.utils import canonicalize_name

    assert "-c constraints.txt" in (REPO / "requirements.txt").read_text().splitlines()
    pins = {}
    for line in (REPO / "constraints.txt").read_text().splitlines():
        if "==" in line and not line.startswith("#"):
            name, version = line.split("==")
            pins[canonicalize_name(name)] = version.strip()
    installed = {canonicalize_name(d.metadata["Name"]): d.version for d in distributions()}
    unpinned = {name: version for name, version in installed.items()
                if name not in ("pip", "setuptools", "wheel") and pins.get(name) != version}
    assert unpinned == {}


def test_the_readmes_sample_line_is_a_line_of_the_schema_in_its_order():
    import json

    import jsonschema

    from newscrawl.items import ARTICLE_FIELDS

    line = (REPO / "README.md").read_text().split("```json\n", 1)[1].split("\n", 1)[0]
    record = json.loads(line)
    jsonschema.validate(record, json.loads((REPO / "schema" / "article.schema.json").read_text()))
    assert list(record) == list(ARTICLE_FIELDS)


def test_every_newscrawl_setting_is_in_the_one_table_and_the_docs_print_it():
    """settings.py's defaults, the checks and docs/reference.md come from newscrawl/options.py;
    every NEWSCRAWL_* name the code reads is in it."""
    import newscrawl.settings as project
    from newscrawl.options import DEFAULTS, KNOWN, markdown_table

    ours = {name: getattr(project, name) for name in dir(project) if name.startswith("NEWSCRAWL_")}
    assert ours == DEFAULTS and set(KNOWN) == set(DEFAULTS)
    read = set()
    for source in (REPO / "newscrawl").rglob("*.py"):
        read |= set(re.findall(r"\"(NEWSCRAWL_[A-Z_]+)\"", source.read_text()))
    assert read - set(DEFAULTS) == set()
    reference = (REPO / "docs" / "reference.md").read_text()
    table = reference.split("<!-- settings table -->\n", 1)[1].split("\n<!-- end of settings table -->", 1)[0]
    assert table == markdown_table()


def test_the_first_screens_replay_and_dataset_commands_chain_as_written(tmp_path):
    """The README's no-network first steps, word for word: the sample replay, then the
    dataset of its runs (the dataset command used to name a folder the replay never writes)."""
    import shutil

    text = " ".join((REPO / "README.md").read_text().split())
    replay = re.search(r"`(scrapy crawl tribun -a archive=samples/)`", text).group(1)
    dataset = re.search(r"`(python -m newscrawl\.dataset [^`]+)`", text).group(1)
    shutil.copytree(REPO / "samples", tmp_path / "samples")
    for command in (replay, dataset):
        argv = command.split()
        argv = [sys.executable, "-m", "scrapy", *argv[1:]] if argv[0] == "scrapy" else [sys.executable, *argv[1:]]
        done = subprocess.run(argv, cwd=tmp_path, env=crawl_env(), capture_output=True, text=True, timeout=120)
        assert done.returncode == 0, f"{command}: {done.stderr[-2000:]}"
    assert (tmp_path / "dataset" / "README.md").is_file() and list((tmp_path / "dataset" / "articles").rglob("*.parquet"))
