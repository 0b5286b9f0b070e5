"""The run's verdict and report: is the site still what we parse, did the crawl work?

When the engine has stopped (every feed stored and its articles recorded), ``RunReport``
judges the run from its stats (thresholds are settings), logs a one-screen summary,
writes ``<output>.report.json`` beside the run's output file and leaves the verdict in
the stats, from which the crawl command sets the exit status.
"""
from __future__ import annotations

import json
import logging
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from itemadapter import ItemAdapter
from scrapy import signals
from scrapy.crawler import Crawler

from newscrawl.distributed import redis_url
from newscrawl.feeds import feed_path, local_feed_folders
from newscrawl.store import STORE_NAME, CorruptStore, holds_articles
from newscrawl.items import ARTICLE_FIELDS, Article

logger = logging.getLogger(__name__)

OK, SITE_CHANGED, FAILED, BLOCKED, INTERRUPTED, ERRORS = (
    "ok", "site_changed", "failed", "blocked", "interrupted", "errors")
EXIT_STATUS = {OK: 0, SITE_CHANGED: 3, FAILED: 4, BLOCKED: 5, INTERRUPTED: 6, ERRORS: 7}


@dataclass
class Thresholds:
    min_requests: int = 5
    max_failure_share: float = 0.8
    min_articles: int = 5
    max_invalid_share: float = 0.5
    max_incomplete_share: float = 0.5

    @classmethod
    def from_settings(cls, settings) -> "Thresholds":
        return cls(settings.getint("NEWSCRAWL_HEALTH_MIN_REQUESTS"),
                   settings.getfloat("NEWSCRAWL_HEALTH_MAX_FAILURE_SHARE"),
                   settings.getint("NEWSCRAWL_HEALTH_MIN_ARTICLES"),
                   settings.getfloat("NEWSCRAWL_HEALTH_MAX_INVALID_SHARE"),
                   settings.getfloat("NEWSCRAWL_HEALTH_MAX_INCOMPLETE_SHARE"))


@dataclass
class Judgement:
    verdict: str = OK
    problems: list[str] = field(default_factory=list)

    def flag(self, verdict: str, problem: str) -> None:
        if self.verdict == OK:
            self.verdict = verdict
        self.problems.append(problem)


def counts_of(stats: dict[str, Any]) -> dict[str, Any]:
    """The run's counts, by the names the report uses."""
    n = lambda key: int(stats.get(key, 0) or 0)  # noqa: E731
    statuses = {int(k.rsplit("/", 1)[1]): v for k, v in stats.items()
                if k.startswith("downloader/response_status_count/") and k.rsplit("/", 1)[1].isdigit()}
    return {
        "discovered": n("newscrawl/articles/discovered"), "fetched": n("newscrawl/articles/fetched"),
        "skipped_known": n("newscrawl/articles/known"), "exported": n("item_scraped_count"),
        "revisited": n("newscrawl/articles/revisited"), "changed": n("newscrawl/revisit/changed"),
        "unchanged": n("newscrawl/revisit/unchanged"),
        "dropped": {k.split("/", 2)[2]: v for k, v in sorted(stats.items())
                    if k.startswith("newscrawl/dropped/") and "/missing_" not in k},
        "missing": {k.split("missing_", 1)[1]: v
                    for k, v in sorted(stats.items()) if k.startswith("newscrawl/dropped/missing_")},
        "near_duplicates": n("newscrawl/near_duplicates"), "multi_page": n("newscrawl/articles/multi_page"),
        "incomplete": n("newscrawl/articles/incomplete"), "pages_failed": n("newscrawl/pages/failed"),
        "requests": n("downloader/request_count"),
        # Requests we dropped ourselves (a blocked host) are not the site's errors.
        "errors": n("downloader/exception_count")
        - n("downloader/exception_type_count/scrapy.exceptions.IgnoreRequest"),
        "http_errors": sum(v for code, v in statuses.items() if code >= 400),
        "http_error_statuses": {str(code): v for code, v in sorted(statuses.items()) if code >= 400},
        "http_403": statuses.get(403, 0), "http_404": statuses.get(404, 0), "http_429": statuses.get(429, 0),
        "listings": n("newscrawl/listings/parsed"), "listings_empty": n("newscrawl/listings/empty"),
    }


def judge(stats: dict[str, Any], limits: Thresholds) -> Judgement:
    """The verdict of a run from its stats: ok, or what is evidently wrong."""
    counts = counts_of(stats)
    judgement = Judgement()
    if stats.get("finish_reason") == "shutdown":
        judgement.flag(INTERRUPTED, "stopped by a signal before the end; the rest is left for the next run")
    _judge_transport(stats, counts, limits, judgement)
    _judge_extraction(counts, limits, judgement)
    _judge_errors(stats, judgement)
    return judgement


def _judge_errors(stats: dict[str, Any], judgement: Judgement) -> None:
    """Exceptions are never ok: in a callback, in the item pipelines, recording the exports."""
    causes = ", ".join(f"{k.split('/', 1)[1]}: {v}" for k, v in sorted(stats.items())
                       if k.startswith("spider_exceptions/") and k != "spider_exceptions/count")
    if spider := stats.get("spider_exceptions/count"):
        judgement.flag(ERRORS, f"{spider} exception(s) in the spider's callbacks ({causes}): "
                               "see the ERROR lines of the log")
    if pages := stats.get("newscrawl/errors/extraction"):
        judgement.flag(ERRORS, f"extraction raised on {pages} page(s) (counted as failed pages; their "
                               "articles came out incomplete): see the ERROR lines of the log")
    if items := stats.get("newscrawl/errors/item"):
        judgement.flag(ERRORS, f"{items} article(s) failed in the item pipelines with an exception "
                               "(not exported): see the ERROR lines of the log")
    if stats.get("newscrawl/state/record_failed"):
        judgement.flag(ERRORS, "the exported articles could not be recorded in the state store "
                               f"({stats['newscrawl/state/record_failed']}): the next run exports them again")


def _judge_transport(stats: dict[str, Any], c: dict[str, Any], limits: Thresholds, judgement: Judgement) -> None:
    """Did the requests work, and could the output be written?"""
    lost_work = stats.get("newscrawl/dropped/redis_unavailable", 0) + stats.get("newscrawl/distributed/not_queued", 0)
    if stats.get("newscrawl/distributed/frontier_lost") or lost_work:
        judgement.flag(FAILED, "the shared Redis lost or refused work: "
                               + ("its frontier vanished (restarted without its data?); " if
                                  stats.get("newscrawl/distributed/frontier_lost") else "")
                               + f"{lost_work} request(s) or article(s) could not be queued or checked; "
                               "the crawl is incomplete, the next run does the rest")
    if stats.get("newscrawl/distributed/redis_lost"):
        judgement.flag(FAILED, "the shared Redis stopped answering: this worker stopped (its output is final, "
                               "the rest is left for the next run)")
    unresolved = sorted(k.split("/", 2)[2] for k in stats if k.startswith("newscrawl/dns_failed/"))
    if unresolved:
        judgement.flag(FAILED, f"DNS lookup failed for {', '.join(unresolved)}: is this machine online?")
    if stats.get("newscrawl/blocked_hosts"):
        judgement.flag(BLOCKED, f"{stats['newscrawl/blocked_hosts']} host(s) answered 403 to every request "
                                f"in a row and were left alone ({c['http_403']} x 403, "
                                f"{stats.get('newscrawl/skipped/blocked_host', 0)} requests not sent)")
    failures = c["errors"] + c["http_errors"]
    if c["requests"] >= limits.min_requests and failures >= limits.max_failure_share * c["requests"]:
        refused = c["http_403"] + c["http_429"]
        verdict = BLOCKED if refused * 2 >= failures else FAILED
        causes = [f"HTTP {code}: {n}" for code, n in c["http_error_statuses"].items()]
        causes += [f"errors and timeouts: {c['errors']}"] if c["errors"] else []
        judgement.flag(verdict, f"{failures} of {c['requests']} requests failed ({', '.join(causes)})")
    if stats.get("finish_reason") == "output_error":
        judgement.flag(FAILED, "the output file could not be written (disk full? not writable?); "
                               "nothing of this run is recorded as exported")


def _judge_extraction(c: dict[str, Any], limits: Thresholds, judgement: Judgement) -> None:
    """Do the pages still look like what the extraction reads?"""
    invalid = c["dropped"].get("invalid", 0)
    if c["fetched"] >= limits.min_articles and invalid >= limits.max_invalid_share * c["fetched"]:
        missing = ", ".join(f"{k} {v}" for k, v in c["missing"].items())
        judgement.flag(SITE_CHANGED, f"{invalid} of {c['fetched']} article pages lack required fields "
                                     f"({missing}): has the page markup changed?")
    unexplained = c["incomplete"] - c["pages_failed"]
    if c["multi_page"] >= limits.min_articles and unexplained >= limits.max_incomplete_share * c["multi_page"]:
        judgement.flag(SITE_CHANGED, f"{c['incomplete']} of {c['multi_page']} multi-page articles are "
                                     "incomplete without failed pages: has the paging markup changed?")
    if c["listings"] >= 1 and c["listings_empty"] == c["listings"] and not c["discovered"]:
        judgement.flag(SITE_CHANGED, f"none of the {c['listings']} listing pages had article links: "
                                     "has the index page markup changed?")


class RunReport:
    """Field coverage of exported items; verdict, summary and report file at close."""

    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler
        self.limits = Thresholds.from_settings(crawler.settings)
        self.filled = dict.fromkeys(ARTICLE_FIELDS, 0)
        self.items = 0
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
            self.items += 1
            for name, value in ItemAdapter(item).items():
                if value not in (None, "", []):
                    self.filled[name] = self.filled.get(name, 0) + 1

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
        judgement = judge({**stats.get_stats(), "finish_reason": reason}, self.limits)
        stats.set_value("newscrawl/verdict", judgement.verdict)
        report = self._report(stats.get_stats(), reason, judgement)
        path = self._path(spider)
        if path is not None:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(json.dumps(report, indent=1, ensure_ascii=False, default=str) + "\n")
            stats.set_value("newscrawl/report_file", str(path))
        log = logger.info if judgement.verdict in (OK, INTERRUPTED) else logger.error
        log("%s", summary(report))

    def _report(self, stats: dict[str, Any], reason: str, judgement: Judgement) -> dict[str, Any]:
        return {
            "run": stats.get("newscrawl/run"), "spider": self.crawler.spider.name,
            "started_at": _iso(stats.get("start_time")),
            "finished_at": datetime.now(timezone.utc).replace(microsecond=0).isoformat(),
            "finish_reason": reason, "verdict": judgement.verdict,
            "exit_status": EXIT_STATUS[judgement.verdict], "problems": judgement.problems,
            "warnings": self.warnings,
            "counts": counts_of(stats),
            "coverage": {k: round(100 * v / self.items, 1) if self.items else None
                         for k, v in self.filled.items()},
        }

    def _path(self, spider: Any) -> Path | None:
        """``<first local feed>.report.json``, with the same run name; None without a feed."""
        first = feed_path(self.crawler, spider)
        return first.with_name(first.name.rsplit(".", 1)[0] + ".report.json") if first else None


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
    lines = [
        f"Run {report['run']}: {report['verdict'].upper()} (exit status {report['exit_status']})",
        f"  articles: {c['discovered']} discovered, {c['skipped_known']} skipped as known, "
        f"{c['fetched']} fetched, {c['exported']} exported",
        f"  revisits: {c['revisited']} known articles fetched again, {c['changed']} changed "
        f"(exported as new versions), {c['unchanged']} unchanged",
        f"  dropped: {dropped}; near-duplicates {c['near_duplicates']}; "
        f"incomplete {c['incomplete']} of {c['multi_page']} multi-page",
        f"  requests: {c['requests']}, errors {c['errors']}, HTTP >= 400: {c['http_errors']} "
        f"(403: {c['http_403']}, 404: {c['http_404']}, 429: {c['http_429']})",
        f"  fields under 90% filled: {', '.join(low) or 'none'}",
        *(f"  problem: {p}" for p in report["problems"]),
        *(f"  warning: {w}" for w in report.get("warnings", [])),
    ]
    return "\n".join(lines)
