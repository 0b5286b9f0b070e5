"""The run's verdict and report: is the site still what we parse, did the crawl work?

When the engine has stopped (every feed stored and its articles recorded), ``RunReport``
judges the run from its stats (newscrawl/run/verdict.py) and from its field coverage against
earlier runs' (newscrawl/run/drift.py), logs a one-screen summary, writes
``<output>.report.json`` beside the run's output file and leaves the verdict in the
stats, from which the crawl command sets the exit status.
"""
from __future__ import annotations

import json
import logging
import os
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from itemadapter import ItemAdapter
from scrapy import signals
from scrapy.crawler import Crawler

from newscrawl.config import redis_url
from newscrawl.crawl.findable import Findable
from newscrawl.dedup.store import STORE_NAME, CorruptStore, holds_articles
from newscrawl.items import ARTICLE_FIELDS, Article
from newscrawl.output.feeds import beside_feed, local_feed_folders
from newscrawl.output.journal import disk_note
from newscrawl.output.ledger import RunLedger
from newscrawl.run.drift import HISTORY_NAME, Coverage, DriftLimits, append_run, count_fields, drifted, read_history
from newscrawl.run.listcheck import list_report, list_warnings
from newscrawl.run.verdict import (  # noqa: F401 (EXIT_STATUS and judge: imported from here too)
    BLOCKED,
    ERRORS,
    EXIT_STATUS,
    FAILED,
    INTERRUPTED,
    OK,
    SITE_CHANGED,
    Judgement,
    Thresholds,
    counts_of,
    judge,
)

logger = logging.getLogger(__name__)


class RunReport(Findable):
    """Field coverage of exported items; verdict, summary and report file at close."""

    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler
        self.limits = Thresholds.from_settings(crawler.settings)
        self.drift = DriftLimits.from_settings(crawler.settings)
        self.by_site: Coverage = {}  # per site: articles exported, and how many had each field
        # What was counted of each exported article: a copy corrected in the files at the
        # commit (newscrawl/output/corrections.py) is counted as the files hold it.
        self.counted: dict[str, tuple[str, tuple[str, ...], int, int]] = {}
        self.warnings = [w for w in [lost_state_warning(crawler)] if w]

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> "RunReport":
        report = cls(crawler)
        crawler.signals.connect(report.item_scraped, signal=signals.item_scraped)
        crawler.signals.connect(report.item_error, signal=signals.item_error)
        crawler.signals.connect(report.spider_closed, signal=signals.spider_closed)
        crawler.signals.connect(report.engine_stopped, signal=signals.engine_stopped)
        return report

    def item_scraped(self, item: Any, response: Any = None, spider: Any = None) -> None:
        if isinstance(item, Article):
            filled = tuple(name for name, value in ItemAdapter(item).items() if value not in (None, "", []))
            counted = (item.site or "", filled, item.page_count or 1, item.word_count or 0)
            count_fields(self.by_site, *counted)
            if item.url:
                self.counted[item.url] = counted

    def _count_corrections(self, stats: dict[str, Any]) -> None:
        """Copies re-pointed (``duplicate_of`` set) or left out of the files at the commit."""
        for url in stats.get("newscrawl/near_duplicates/marked_in_files") or ():
            if (counted := self.counted.get(url)) is not None and "duplicate_of" not in counted[1]:
                filled = self.by_site[counted[0]]["filled"]
                filled["duplicate_of"] = filled.get("duplicate_of", 0) + 1
        for url in stats.get("newscrawl/near_duplicates/dropped_from_files") or ():
            if (counted := self.counted.pop(url, None)) is not None:
                count_fields(self.by_site, *counted, sign=-1)

    def item_error(self, item: Any = None, response: Any = None, spider: Any = None, failure: Any = None) -> None:
        self.crawler.stats.inc_value("newscrawl/errors/item")

    def spider_closed(self, spider: Any, reason: str) -> None:
        self.spider, self.reason = spider, reason

    def engine_stopped(self) -> None:
        """Judge once everything is settled: feeds stored, exports recorded (or not)."""
        spider, reason = getattr(self, "spider", None), getattr(self, "reason", None)
        if spider is None:
            return  # the spider never opened
        stats = self.crawler.stats
        self._count_corrections(stats.get_stats())
        judgement = judge({**stats.get_stats(), "finish_reason": reason}, self.limits)
        self._judge_drift(spider, judgement)
        stats.set_value("newscrawl/verdict", judgement.verdict)
        report = self._report(stats.get_stats(), reason, judgement)
        path = self._path(spider)
        if path is not None and _write_whole(path, json.dumps(report, indent=1, ensure_ascii=False, default=str)):
            stats.set_value("newscrawl/report_file", str(path))
        log = logger.info if judgement.verdict in (OK, INTERRUPTED) else logger.error
        log("%s", summary(report))

    def abandoned(self, left: str) -> str:
        """The run was stopped at once (a second Ctrl-C or SIGTERM), as by kill -9: its
        engine never closed. Reported all the same, ``interrupted``; ``left`` says what
        became of its files. Returns the verdict."""
        spider = getattr(self.crawler, "spider", None)
        judgement = Judgement(INTERRUPTED, [f"stopped at once by a second signal, before the run could finish: {left}"])
        stats = self.crawler.stats
        stats.set_value("newscrawl/verdict", judgement.verdict)
        report = self._report(stats.get_stats(), "killed", judgement)
        path = self._path(spider) if spider is not None else None
        if path is not None and _write_whole(path, json.dumps(report, indent=1, ensure_ascii=False, default=str)):
            stats.set_value("newscrawl/report_file", str(path))
        logger.error("%s", summary(report))
        return judgement.verdict

    def _judge_drift(self, spider: Any, judgement: Judgement) -> None:
        """Fields that earlier runs filled and this one lost: ``site_changed``. The run's own
        coverage then joins the history (not a replay's: archives are not today's site)."""
        settings = self.crawler.settings
        if (not settings.getbool("NEWSCRAWL_DRIFT") or not self.by_site or getattr(spider, "replay", None) is not None
                or judgement.verdict in (FAILED, BLOCKED, ERRORS)):  # its items are not what the site holds
            return
        history = Path(settings.get("NEWSCRAWL_STATE_DIR")) / HISTORY_NAME
        try:
            for drift in drifted(read_history(history), self.by_site, self.drift):
                judgement.flag(SITE_CHANGED, drift.problem)
                self.by_site[drift.site].setdefault("drifted", []).append(drift.name)
            append_run(history, self.crawler.stats.get_value("newscrawl/run"), self.by_site)
        except OSError as error:
            self.warnings.append(f"the field coverage history {history} could not be read or written "
                                 f"({error.strerror}): template drift is not watched this run")

    def _report(self, stats: dict[str, Any], reason: str, judgement: Judgement) -> dict[str, Any]:
        return {
            "run": stats.get("newscrawl/run"), "spider": self.crawler.spider.name,
            "started_at": _iso(stats.get("start_time")),
            "finished_at": datetime.now(timezone.utc).replace(microsecond=0).isoformat(),
            "finish_reason": reason, "verdict": judgement.verdict,
            "exit_status": EXIT_STATUS[judgement.verdict], "problems": judgement.problems,
            "warnings": [*self.warnings, *(f"took over a run that died: {said}" for said in
                                          stats.get("newscrawl/state/took_over") or ()),
                         *(f"removed {part}: the unfinished file of a run that died, with no journal to settle it"
                           for part in stats.get("newscrawl/output/dead_parts_removed") or ()),
                         *judgement.warnings, *list_warnings(stats)],
            "counts": counts_of(stats),
            "coverage": self._coverage(),
            "collected": self._collected(),
            # Articles of earlier runs found to copy an original this run met (their files are
            # final): a dataset built from both runs marks them (newscrawl/dataset/build.py).
            "copies_of_earlier_runs": stats.get("newscrawl/near_duplicates/copies_of_earlier_runs") or {},
            **list_report(stats),
        }

    def _collected(self) -> dict[str, Any]:
        """How the run fetched its pages, for a dataset's card (newscrawl/dataset/card.py)."""
        settings = self.crawler.settings
        archives = getattr(getattr(self.crawler.spider, "options", None), "archives", ())
        return {"user_agent": settings.get("USER_AGENT"), "robots_txt_obeyed": settings.getbool("ROBOTSTXT_OBEY"),
                "from_archives": [str(a) for a in archives]}

    def _coverage(self) -> dict[str, float | None]:
        """For each field, the percentage of exported articles that have it, all sites."""
        items = sum(counts["articles"] for counts in self.by_site.values())
        return {name: round(100 * sum(c["filled"].get(name, 0) for c in self.by_site.values()) / items, 1)
                if items else None for name in ARTICLE_FIELDS}

    def _path(self, spider: Any) -> Path | None:
        """``<first local feed>.report.json``, with the same run name; None without a feed."""
        return beside_feed(self.crawler, spider, ".report.json")


def exit_status(crawler: Crawler, engine_stopped: bool) -> int:
    """The exit status of a run whose crawler ran: its verdict's; a run whose engine never
    stopped (the reactor was stopped under it by a second Ctrl-C or SIGTERM) is reported
    as interrupted, never ok, and its files are left for the next run (or removed where
    none would settle them)."""
    if engine_stopped or getattr(crawler, "engine", None) is None:
        return EXIT_STATUS.get(crawler.stats.get_value("newscrawl/verdict"), 0)
    ledger, report = RunLedger.of(crawler), RunReport.of(crawler)
    left = ledger.abandoned() if ledger is not None else "its files are unfinished"
    return EXIT_STATUS[report.abandoned(left) if report is not None else INTERRUPTED]


def _write_whole(path: Path, text: str) -> bool:
    """Write the report whole or not at all (a full disk leaves no empty report behind)."""
    part = path.with_name(path.name + ".part")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        with part.open("w", encoding="utf-8") as file:
            file.write(text + "\n")
        os.replace(part, path)
        return True
    except OSError as error:
        part.unlink(missing_ok=True)
        logger.error("Could not write the run report %s: %s%s (the summary below is all there is)",
                     path, error.strerror or error, disk_note(path, error))
        return False


def lost_state_warning(crawler: Crawler) -> str | None:
    """A sentence when the store of exported articles is missing or empty although the
    output folder holds files of earlier runs: their articles will be exported again."""
    settings = crawler.settings
    if not settings.getbool("NEWSCRAWL_INCREMENTAL") or redis_url(settings):
        return None
    store = Path(settings.get("NEWSCRAWL_STATE_DIR")) / STORE_NAME
    try:
        if holds_articles(store):
            return None
    except CorruptStore:
        return None  # not ours to judge here: the crawl command refuses a corrupt store
    name = getattr(crawler.spidercls, "name", "")
    earlier = [f for folder in local_feed_folders(settings, name) if folder.is_dir()
               for f in folder.glob(f"{name}-*.jsonl")]
    if not earlier:
        return None
    return (f"the state store {store} is {'empty' if store.exists() else 'missing'} but {earlier[0].parent} "
            f"holds {len(earlier)} output file(s) of earlier runs: articles they hold are exported again. "
            "If you reset the state on purpose, ignore this; otherwise restore the store")


def _iso(value: Any) -> str | None:
    return value.replace(microsecond=0).isoformat() if isinstance(value, datetime) else value


def summary(report: dict[str, Any]) -> str:
    """The report as a one-screen log message."""
    c = report["counts"]
    dropped = ", ".join(f"{k} {v}" for k, v in c["dropped"].items()) or "none"
    low = [f"{k} {v}%" for k, v in report["coverage"].items()
           if v is not None and v < 90 and k not in ("duplicate_of", "previous_hash")]
    found = [k for k, v in report["coverage"].items() if v]
    never = [k for k, v in report["coverage"].items() if v == 0]
    lines = [
        f"Run {report['run']}: {report['verdict'].upper()} (exit status {report['exit_status']})",
        f"  articles: {c['discovered']} discovered, {c['skipped_known']} skipped as known, "
        f"{c['fetched']} fetched, {c['exported']} exported",
        f"  revisits: {c['revisited']} known articles fetched again, {c['changed']} changed "
        f"(exported as new versions), {c['unchanged']} unchanged",
        f"  dropped: {dropped}; near-duplicates {c['near_duplicates']}; "
        f"incomplete {c['incomplete']} of {c['multi_page']} multi-page; "
        f"premium (teaser only, complete: false) {c['premium']}",
        f"  requests: {c['requests']}, errors {c['errors']}, HTTP >= 400: {c['http_errors']} "
        f"(403: {c['http_403']}, 404: {c['http_404']}, 429: {c['http_429']})",
        f"  fields under 90% filled: {', '.join(low) or 'none'}",
        f"  fields found: {', '.join(found) or 'none'}; never found: {', '.join(never) or 'none'}",
        *(f"  problem: {p}" for p in report["problems"]),
        *(f"  warning: {w}" for w in report.get("warnings", [])),
    ]
    return "\n".join(lines)
