"""Template drift: a field that earlier runs filled well, and that this run lost.

A site's markup changes one field at a time; a run whose credits stopped being found
is otherwise ``ok`` and fills the dataset with nulls. Each run appends its field coverage
per site to ``<state dir>/coverage.ndjson``; a field whose coverage over the last runs
with enough articles was high and that falls sharply in this run is a problem
(verdict ``site_changed``). Fields that were always sparse never count.
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
# Counts per site: {"articles": N, "filled": {field: N}}.
Coverage = dict[str, dict[str, Any]]


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


def drifted(history: list[Coverage], now: Coverage, limits: DriftLimits) -> list[str]:
    """One sentence per (site, field) whose coverage fell sharply in ``now``.

    >>> good = {"a.com": {"articles": 30, "filled": {"title": 30, "editor": 29, "updated_at": 3}}}
    >>> bad = {"a.com": {"articles": 25, "filled": {"title": 25, "editor": 0, "updated_at": 0}}}
    >>> drifted([good, good], bad, DriftLimits())
    ['editor found in 0% of 25 articles on a.com, against 97% in the 2 runs before: has the page markup changed?']
    >>> drifted([good], bad, DriftLimits()), drifted([good, good], good, DriftLimits())
    ([], [])
    """
    problems = []
    for site, counts in sorted(now.items()):
        if counts.get("articles", 0) < limits.min_articles:
            continue
        earlier = [run[site] for run in history
                   if site in run and run[site].get("articles", 0) >= limits.min_articles][-limits.runs:]
        if len(earlier) < limits.min_runs:
            continue
        total = sum(run["articles"] for run in earlier)
        for name in sorted({f for run in earlier for f in run.get("filled", {})}):
            before = sum(run.get("filled", {}).get(name, 0) for run in earlier) / total
            rate = counts.get("filled", {}).get(name, 0) / counts["articles"]
            if before >= limits.baseline and rate < before * (1 - limits.max_drop):
                problems.append(f"{name} found in {rate:.0%} of {counts['articles']} articles on {site}, "
                                f"against {before:.0%} in the {len(earlier)} runs before: "
                                "has the page markup changed?")
    return problems


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


def count_fields(coverage: Coverage, site: str, filled: Iterable[str]) -> None:
    """Count one exported article of ``site`` whose filled fields are ``filled``."""
    counts = coverage.setdefault(site, {"articles": 0, "filled": {}})
    counts["articles"] += 1
    for name in filled:
        counts["filled"][name] = counts["filled"].get(name, 0) + 1
