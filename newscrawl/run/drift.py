"""Template drift: a field that earlier runs filled well, and that this run lost.

A site's markup changes one field at a time; a run whose credits stopped being found
is otherwise ``ok`` and fills the dataset with nulls. Its pager changes too: an article
whose later pages are no longer found is exported whole-looking (one page, complete), so
the share of multi-page articles and the words per article are watched as well. Each run appends its field coverage
per site to ``<state dir>/coverage.ndjson``; a field whose coverage over the last runs
was high and that falls sharply in this run is a problem (verdict ``site_changed``).
Small runs are judged together (a rolling window of ``min_articles``), so cron-sized
runs are watched too. Fields that were always sparse never count.
"""
from __future__ import annotations

import json
import logging
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterable

logger = logging.getLogger(__name__)

HISTORY_NAME = "coverage.ndjson"
# Counts per site: {"articles": N, "filled": {field: N}, "multi_page": N, "words": N,
# "drifted": [what this run raised the alarm for]}.
Coverage = dict[str, dict[str, Any]]
# Runs in a row that raise the alarm for one thing: after them the change is taken as the
# new normal (the baseline then moves), or the alarm would never end.
ALARM_RUNS = 2
# Paging is watched when at least this share of a site's articles had several pages.
MIN_MULTI_PAGE_SHARE = 0.1
PAGING = "paging"


@dataclass
class DriftLimits:
    runs: int = 5  # earlier runs with enough articles that make the baseline
    min_runs: int = 2  # fewer earlier runs than this: no baseline yet
    min_articles: int = 20  # articles of a site in a run for its rates to count
    baseline: float = 0.8  # a field filled at least this often earlier ...
    max_drop: float = 0.5  # ... and now less than (1 - max_drop) times as often: drift

    @classmethod
    def from_settings(cls, settings: Any) -> "DriftLimits":
        return cls(settings.getint("NEWSCRAWL_DRIFT_RUNS"), settings.getint("NEWSCRAWL_DRIFT_MIN_RUNS"),
                   settings.getint("NEWSCRAWL_DRIFT_MIN_ARTICLES"), settings.getfloat("NEWSCRAWL_DRIFT_BASELINE"),
                   settings.getfloat("NEWSCRAWL_DRIFT_MAX_DROP"))


@dataclass
class Drift:
    site: str
    name: str  # a field, or "paging"
    problem: str


def drifted(history: list[Coverage], now: Coverage, limits: DriftLimits) -> list[Drift]:
    """What fell sharply in ``now`` on each site: a field's coverage, or the share of
    multi-page articles and the words per article (pages no longer found: "paging").

    Runs too small to judge alone (a 15-minute cron run of 5 articles) are judged in a
    rolling window: this run with the latest earlier ones, until the window holds
    ``min_articles``; the baseline is made of the runs before, merged the same way.

    >>> good = {"a.com": {"articles": 30, "filled": {"title": 30, "editor": 29, "updated_at": 3}}}
    >>> bad = {"a.com": {"articles": 25, "filled": {"title": 25, "editor": 0, "updated_at": 0}}}
    >>> [d.problem for d in drifted([good, good], bad, DriftLimits())]
    ['editor found in 0% of 25 articles on a.com, against 97% in the 2 runs before: has the page markup changed?']
    >>> drifted([good], bad, DriftLimits()), drifted([good, good], good, DriftLimits())
    ([], [])
    >>> alarmed = {"a.com": {**bad["a.com"], "drifted": ["editor"]}}
    >>> [len(drifted([good, good, *[alarmed] * n], bad, DriftLimits())) for n in (1, 2)]  # two runs, then quiet
    [1, 0]
    >>> small = {"a.com": {"articles": 5, "filled": {"title": 5, "editor": 5}}}
    >>> lost = {"a.com": {"articles": 5, "filled": {"title": 5}}}
    >>> [len(drifted([small] * 8 + [lost] * n, lost, DriftLimits())) for n in range(4)]  # by the 4th small run
    [0, 0, 0, 1]
    >>> [len(drifted([small] * n, small, DriftLimits())) for n in (8, 30)]  # healthy small runs: never
    [0, 0]
    """
    found = []
    for site, counts in sorted(now.items()):
        runs = [run[site] for run in history if site in run]
        window, merged = _window(counts, runs, limits.min_articles)
        if window["articles"] < limits.min_articles:
            continue
        earlier_runs = runs[:len(runs) - merged]
        said = f" (this run and the {merged} before it)" if merged else ""
        for name in sorted({f for run in earlier_runs for f in run.get("filled", {})}):
            if (earlier := _baseline(runs, earlier_runs, name, limits)) is None:
                continue
            before = _rate(earlier, lambda run: run.get("filled", {}).get(name, 0))
            rate = window["filled"].get(name, 0) / window["articles"]
            if before >= limits.baseline and rate < before * (1 - limits.max_drop):
                found.append(Drift(site, name, f"{name} found in {rate:.0%} of {window['articles']} articles on "
                                               f"{site}{said}, against {before:.0%} in the {_runs(earlier)} runs "
                                               "before: has the page markup changed?"))
        if (paging := _paging(site, window, runs, earlier_runs, said, limits)) is not None:
            found.append(paging)
    return found


def _merge(runs: list[dict[str, Any]]) -> dict[str, Any]:
    """The counts of several runs as one (``runs``: how many)."""
    merged: dict[str, Any] = {"articles": 0, "filled": {}, "words": 0, "runs": 0}
    for run in runs:
        merged["articles"] += run.get("articles", 0)
        merged["words"] += run.get("words", 0)
        merged["runs"] += run.get("runs", 1)
        if "multi_page" in run:
            merged["multi_page"] = merged.get("multi_page", 0) + run["multi_page"]
        for name, n in run.get("filled", {}).items():
            merged["filled"][name] = merged["filled"].get(name, 0) + n
    return merged


def _window(counts: dict[str, Any], runs: list[dict[str, Any]], min_articles: int) -> tuple[dict[str, Any], int]:
    """This run, with as many of the latest earlier runs as it takes to hold ``min_articles``
    (none for a run that holds them alone); and how many earlier runs were merged in."""
    taken, articles = 0, counts.get("articles", 0)
    while articles < min_articles and taken < len(runs):
        taken += 1
        articles += runs[-taken].get("articles", 0)
    return _merge([counts, *runs[len(runs) - taken:]]), taken


def _blocks(runs: list[dict[str, Any]], min_articles: int, wanted: int) -> list[dict[str, Any]]:
    """The last ``wanted`` blocks of consecutive runs, merged newest first backwards into
    blocks of ``min_articles`` at least (a run that has them is a block alone); oldest block
    first. The history grows by a run every cron run: older runs are not read."""
    blocks, pending, articles = [], [], 0
    for run in reversed(runs):
        pending.append(run)
        articles += run.get("articles", 0)
        if articles >= min_articles:
            blocks.append(_merge(pending))
            pending, articles = [], 0
            if len(blocks) == wanted:
                break
    return blocks[::-1]


def _runs(blocks: list[dict[str, Any]]) -> int:
    return sum(block.get("runs", 1) for block in blocks)


def _rate(runs: list[dict[str, Any]], count) -> float:
    return sum(count(run) for run in runs) / sum(run["articles"] for run in runs)


def _paging(site: str, counts: dict[str, Any], runs: list[dict[str, Any]], earlier_runs: list[dict[str, Any]],
            said: str, limits: DriftLimits) -> Drift | None:
    """Later pages no longer found: the share of multi-page articles, or the words per
    article, fell sharply (when at least MIN_MULTI_PAGE_SHARE of the articles had pages)."""
    earlier = _baseline(runs, [run for run in earlier_runs if "multi_page" in run], PAGING, limits)  # since 0.3
    if earlier is None or "multi_page" not in counts:
        return None
    share_before, share = _rate(earlier, lambda run: run["multi_page"]), counts["multi_page"] / counts["articles"]
    words_before, words = _rate(earlier, lambda run: run.get("words", 0)), counts.get("words", 0) / counts["articles"]
    if share_before < MIN_MULTI_PAGE_SHARE or (share >= share_before * (1 - limits.max_drop)
                                               and words >= words_before * (1 - limits.max_drop)):
        return None
    return Drift(site, PAGING, f"paging: {share:.0%} of {counts['articles']} articles on {site}{said} had several "
                               f"pages, {words:.0f} words on average, against {share_before:.0%} and "
                               f"{words_before:.0f} in the {_runs(earlier)} runs before: are later pages no longer "
                               "found? Has the paging markup changed?")


def _baseline(runs: list[dict[str, Any]], earlier_runs: list[dict[str, Any]], name: str,
              limits: DriftLimits) -> list[dict[str, Any]] | None:
    """The blocks of earlier runs (``_blocks``) a measure is judged against, or None: too few
    of them, or the alarm was raised for it in the last ALARM_RUNS runs already (the change
    is the new normal). While the alarm lasts, the runs that raised it are left out."""
    alarms = 0
    for run in reversed(runs):
        if name not in run.get("drifted", ()):
            break
        alarms += 1
    if alarms >= ALARM_RUNS:
        return None
    kept = [run for run in earlier_runs if name not in run.get("drifted", ())] if alarms else earlier_runs
    earlier = _blocks(kept, limits.min_articles, limits.runs)
    return earlier if len(earlier) >= limits.min_runs else None


def read_history(path: Path) -> list[Coverage]:
    """Each earlier run's coverage, oldest first; lines that do not parse are skipped."""
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except FileNotFoundError:
        return []
    runs = []
    for line in lines:
        try:
            record = json.loads(line)
        except ValueError:
            continue
        if isinstance(record, dict) and isinstance(record.get("sites"), dict):
            runs.append({site: counts for site, counts in record["sites"].items() if isinstance(counts, dict)})
    return runs


def append_run(path: Path, run: Any, sites: Coverage) -> None:
    """Add this run's coverage to the history (one line, flushed to disk)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("a", encoding="utf-8") as history:
        history.write(json.dumps({"run": run, "sites": sites}, ensure_ascii=False) + "\n")
        history.flush()
        os.fsync(history.fileno())


def count_fields(coverage: Coverage, site: str, filled: Iterable[str], pages: int = 1, words: int = 0,
                 sign: int = 1) -> None:
    """Count one exported article of ``site`` whose filled fields are ``filled`` (``sign``
    -1: take back one counted before, an article the run's files no longer hold)."""
    counts = coverage.setdefault(site, {"articles": 0, "filled": {}, "multi_page": 0, "words": 0})
    counts["articles"] += sign
    counts["multi_page"] += sign * ((pages or 1) > 1)
    counts["words"] += sign * (words or 0)
    for name in filled:
        counts["filled"][name] = counts["filled"].get(name, 0) + sign
