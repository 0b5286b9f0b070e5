"""A run's verdict from its stats: ok, or what is evidently wrong (thresholds are settings).

Pure: stats in, a ``Judgement`` (verdict and one sentence per problem) out. The report
(newscrawl/run/report.py) adds what needs the run's items and history, such as template drift.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from newscrawl.network.identity import BROWSER, PRODUCT

# Every default User-Agent starts so (a contact may follow the version).
DEFAULT_AGENT_PREFIX = f"{BROWSER} {PRODUCT}/"

# Every exit status of `scrapy crawl`, in one place (README "Exit statuses").
# A run's verdict, and its status:
OK, SITE_CHANGED, FAILED, BLOCKED, INTERRUPTED, ERRORS = (
    "ok", "site_changed", "failed", "blocked", "interrupted", "errors")
EXIT_STATUS = {OK: 0, SITE_CHANGED: 3, FAILED: 4, BLOCKED: 5, INTERRUPTED: 6, ERRORS: 7}
# A run refused before it starts (newscrawl/run/preflight.py), one line on stderr:
USAGE = 2  # a bad -a argument or setting
UNAVAILABLE = 69  # EX_UNAVAILABLE: the Redis of distributed mode does not answer
CANT_WRITE = 73  # EX_CANTCREAT: the output or state folder, or the store, cannot be written
LOCKED = 75  # EX_TEMPFAIL: another run holds the lock; try again later
# And 1: Scrapy itself failed to start (its traceback says why).


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
    warnings: list[str] = field(default_factory=list)  # counted trouble that leaves the run ok

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
        "incomplete": n("newscrawl/articles/incomplete"), "premium": n("newscrawl/articles/premium"), "pages_failed": n("newscrawl/pages/failed"),
        "requests": n("downloader/request_count"),
        # Requests we dropped ourselves (a blocked host) are not the site's errors.
        "errors": n("downloader/exception_count")
        - n("downloader/exception_type_count/scrapy.exceptions.IgnoreRequest")
        - n("downloader/exception_type_count/newscrawl.crawl.waits.Parked"),  # waited, came back
        "http_errors": sum(v for code, v in statuses.items() if code >= 400),
        "http_error_statuses": {str(code): v for code, v in sorted(statuses.items()) if code >= 400},
        "http_403": statuses.get(403, 0), "http_404": statuses.get(404, 0), "http_429": statuses.get(429, 0),
        "listings": n("newscrawl/listings/parsed"), "listings_empty": n("newscrawl/listings/empty"),
        "sitemaps": n("newscrawl/sitemaps/urlset") + n("newscrawl/sitemaps/index"),
        "entry_points": {k: n(f"newscrawl/entry_points/{k}") for k in ("requested", "ok", "failed")},
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
    _judge_page_all(stats, judgement)
    return judgement


def _judge_page_all(stats: dict[str, Any], judgement: Judgement) -> None:
    """A site whose ``?page=all`` view is refused keeps paging: said, not a fault."""
    for refused in stats.get("newscrawl/page_all/refused") or ():
        judgement.warnings.append(f"?page=all is not used on {refused}")
    if failed := stats.get("newscrawl/page_all/store_failed"):
        judgement.warnings.append(f"the state store could not keep what ?page=all proved ({failed} time(s)): "
                                  "the next run proves it again")


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
    if lost := stats.get("newscrawl/distributed/lost_workers"):
        judgement.flag(FAILED, f"worker(s) {', '.join(lost)} of this crawl stopped answering before they ended "
                               "(killed?): what they had taken is missing from this run; the next run (a replay: "
                               "the replay run again) does the rest")
    if stats.get("newscrawl/distributed/redis_lost"):
        judgement.flag(FAILED, "the shared Redis stopped answering: this worker stopped (its output is final, "
                               "the rest is left for the next run)")
    unresolved = sorted(k.split("/", 2)[2] for k in stats if k.startswith("newscrawl/dns_failed/"))
    if unresolved:
        judgement.flag(FAILED, f"DNS lookup failed for {', '.join(unresolved)}: is this machine online? "
                               "(without network, `scrapy crawl tribun -a archive=samples/` replays the "
                               "sample archive of genuine pages in the repository)")
    if stats.get("newscrawl/blocked_hosts"):
        judgement.flag(BLOCKED, f"{stats['newscrawl/blocked_hosts']} host(s) answered 403 to every request "
                                f"in a row and were left alone ({c['http_403']} x 403, "
                                f"{stats.get('newscrawl/skipped/blocked_host', 0)} requests not sent)")
    _judge_challenges(stats, c, judgement)
    said = len(judgement.problems)
    _judge_failures(stats, c, limits, judgement)
    if len(judgement.problems) == said:  # refused articles, unless the failed requests said it
        _judge_refused_articles(stats, c, judgement)
    _judge_archives(stats, judgement)
    if failed := stats.get("newscrawl/workers/failed"):
        judgement.flag(FAILED, f"{len(failed)} of {stats.get('newscrawl/workers', '?')} replay workers failed "
                               f"({'; '.join(failed)}): their share of the articles is missing")
    if why := stats.get("newscrawl/replay/not_indexed"):
        judgement.flag(FAILED, f"{why}: nothing was replayed")
    if failed := stats.get("newscrawl/state/files_failed"):
        judgement.flag(FAILED, f"{failed} output file(s) of the run (feeds, web archive) could not be completed: "
                               f"the run's files were set aside and its "
                               f"{stats.get('newscrawl/state/not_recorded', 0)} exported article(s) are not "
                               "recorded; the next run fetches them again")
    if stats.get("finish_reason") == "output_error":
        judgement.flag(FAILED, "the output file could not be written (disk full? not writable?); "
                               "nothing of this run is recorded as exported")


def _judge_challenges(stats: dict[str, Any], c: dict[str, Any], judgement: Judgement) -> None:
    """Challenge pages an edge served instead of pages (any status): blocked when they are
    half of the pages or more, or when nothing was exported, whatever the run's size; a
    warning when they are a few among many."""
    n = lambda key: int(stats.get(key, 0) or 0)  # noqa: E731
    if not (challenged := n("newscrawl/challenged")):
        return
    kinds = {kind: n(f"newscrawl/challenged/{kind}") for kind in ("article", "page", "listing", "sitemap", "other")}
    answered = c["fetched"] + n("newscrawl/pages/merged") + c["listings"] + c["sitemaps"]
    said = (f"the {stats.get('newscrawl/challenged/edge')} edge served a challenge page instead of "
            f"{challenged} page(s) ({', '.join(f'{k}: {v}' for k, v in kinds.items() if v)}) against "
            f"{answered} page(s) served: it doubts this client (its address, its rate or its User-Agent)")
    if challenged * 2 >= challenged + answered or not c["exported"]:
        judgement.flag(BLOCKED, said + "; " + _edge_advice(stats))
    else:
        judgement.warnings.append(said + "; those pages are left for the next run")


def _judge_refused_articles(stats: dict[str, Any], c: dict[str, Any], judgement: Judgement) -> None:
    """Articles refused (403, or 429 after the retries) while other requests worked (a
    sitemap that answers): blocked when they are half of the articles or more."""
    refused = int(stats.get("newscrawl/refused/article", 0) or 0) - int(stats.get("newscrawl/challenged/article", 0) or 0)
    if refused <= 0:
        return
    said = (f"{refused} of {refused + c['fetched']} articles were refused "
            f"({', '.join(f'HTTP {k}: {v}' for k, v in c['http_error_statuses'].items() if k in ('403', '429'))})")
    if refused * 2 >= refused + c["fetched"]:
        judgement.flag(BLOCKED, said + _advice(stats, c))
    else:
        judgement.warnings.append(said + "; they are left for the next run")


def _edge_advice(stats: dict[str, Any]) -> str:
    agent = str(stats.get("newscrawl/refused/user_agent") or "")
    if agent.startswith(DEFAULT_AGENT_PREFIX):
        return ("it refuses newscrawl's default, browser-shaped User-Agent too: slow down (the polite "
                "profile, a larger DOWNLOAD_DELAY), try later, or from another network")
    return (f"it refused the User-Agent {agent!r}: run with the default USER_AGENT "
            "(add your contact with -s NEWSCRAWL_CONTACT=...)")


def _judge_archives(stats: dict[str, Any], judgement: Judgement) -> None:
    """A replay whose archives lost records is incomplete: never ok."""
    lost = list(stats.get("newscrawl/replay/lost") or [])
    truncated = int(stats.get("newscrawl/replay/truncated", 0) or 0)
    unreadable = int(stats.get("newscrawl/replay/unreadable", 0) or 0)
    if unresolved := int(stats.get("newscrawl/replay/unresolved_revisits", 0) or 0):  # not damage: a lacking input
        judgement.warnings.append(f"{unresolved} revisit record(s) refer to captures the given archives lack (an "
                                  "earlier run's or crawl's): the pages they stand for were not replayed; give "
                                  "the earlier archives too")
    if not lost and not truncated and not unreadable:
        return
    parts = [f"{len(lost)} part(s) of the archives could not be read ({'; '.join(lost[:3])}"
             f"{'; …' if len(lost) > 3 else ''})"] if lost else []
    parts += [f"{truncated} capture(s) were cut short"] if truncated else []
    parts += [f"{unreadable} capture(s) indexed could not be read back (the files changed?)"] if unreadable else []
    judgement.flag(FAILED, f"the archives lost records: {', and '.join(parts)}; what they held besides was "
                           "replayed (see the ERROR lines of the log)")


def _judge_failures(stats: dict[str, Any], c: dict[str, Any], limits: Thresholds, judgement: Judgement) -> None:
    """Failed requests: a refused run is never ok, however few requests it made.

    The minimum-evidence rule (NEWSCRAWL_HEALTH_MIN_REQUESTS) guards the failure share
    against one flaky request, so it applies only where at least one request worked; a
    run whose requests were mostly refused (403/429), or whose every entry point
    (sitemaps, index pages, ``-a urls``) failed, is judged whatever its size.
    """
    failures = c["errors"] + c["http_errors"]
    refused = c["http_403"] + c["http_429"]
    worked = c["requests"] > failures
    entries = c["entry_points"]
    no_entry = entries["requested"] > 0 and entries["ok"] == 0 and entries["failed"] >= entries["requested"]
    share_failed = failures >= limits.max_failure_share * c["requests"] > 0 and (
        c["requests"] >= limits.min_requests or not worked)
    if not (share_failed or refused * 2 > c["requests"] or no_entry):
        return
    verdict = BLOCKED if refused and refused * 2 >= failures else FAILED
    causes = [f"HTTP {code}: {n}" for code, n in c["http_error_statuses"].items()]
    causes += [f"errors and timeouts: {c['errors']}"] if c["errors"] else []
    problem = f"{failures} of {c['requests']} requests failed ({', '.join(causes) or 'no answer'})"
    if no_entry:
        problem = (f"{problem}; " if failures else "") + (
            f"every entry point failed ({entries['failed']} of {entries['requested']}: "
            "sitemaps, index pages, -a urls), so nothing could be found to crawl")
        if forbidden := int(stats.get("robotstxt/forbidden", 0) or 0):
            problem += (f"; robots.txt forbade {forbidden} request(s) to this crawler (its product token, "
                        "ROBOTSTXT_USER_AGENT): they were not sent")
    judgement.flag(verdict, problem + _advice(stats, c))


def _advice(stats: dict[str, Any], c: dict[str, Any]) -> str:
    """What to try against refusals: the User-Agent a CDN edge refused, or slowing down."""
    agent, edge = stats.get("newscrawl/refused/user_agent"), stats.get("newscrawl/refused/edge")
    if c["http_403"] and edge and str(agent or "").startswith(DEFAULT_AGENT_PREFIX):
        return (f"; the {edge} edge answered 403 to newscrawl's default, browser-shaped User-Agent: "
                "it refuses more than User-Agents (this machine's address, the rate): slow down (the "
                "polite profile, a larger DOWNLOAD_DELAY), try later, or from another network")
    if c["http_403"] and edge:
        return (f"; the {edge} edge answered 403 to the User-Agent {agent!r}: such edges refuse "
                "User-Agents that do not look like a browser or that contain 'bot'. Run with the "
                "default USER_AGENT (add your contact with -s NEWSCRAWL_CONTACT=...)")
    if c["http_403"]:
        return f"; the site answered 403 to the User-Agent {agent!r}: check USER_AGENT and robots.txt"
    if c["http_429"]:
        return "; the site asked us to slow down (429): lower CONCURRENT_REQUESTS_PER_DOMAIN or raise DOWNLOAD_DELAY"
    return ""


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
