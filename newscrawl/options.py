"""newscrawl's own settings, in one table: name, default, check, meaning.

settings.py takes its ``NEWSCRAWL_*`` defaults from here, the crawl command checks every
``NEWSCRAWL_*`` value against it before anything starts (a typo such as
``-s NEWSCRAWL_MAXPAGES=5`` is a one-line error, not a silently ignored setting), and the
settings table of docs/reference.md is printed from it (``python -m newscrawl.options``).
"""
from __future__ import annotations

from dataclasses import dataclass
from difflib import get_close_matches
from typing import TYPE_CHECKING, Any, Callable

if TYPE_CHECKING:  # the dataset tool reads these options' neighbours without Scrapy's import cost
    from scrapy.settings import BaseSettings


class SettingError(ValueError):
    """A ``NEWSCRAWL_*`` setting that cannot be used; one line, naming it."""


def _in_range(kind: type, minimum: float, maximum: float | None = None) -> Callable[[str], str | None]:
    """A check that the value is a ``kind`` (int or float) within the bounds."""
    def check(value: str) -> str | None:
        try:
            number = kind(str(value))
        except ValueError:
            return "must be a whole number" if kind is int else "must be a number"
        if number < minimum or (maximum is not None and number > maximum):
            return (f"must be between {minimum:g} and {maximum:g}" if maximum is not None
                    else f"must be {minimum:g} or more")
        return None
    return check


def _whole(minimum: int, maximum: int | None = None) -> Callable[[str], str | None]:
    return _in_range(int, minimum, maximum)


def _number(minimum: float, maximum: float | None = None) -> Callable[[str], str | None]:
    return _in_range(float, minimum, maximum)


def _choice(*choices: str) -> Callable[[str], str | None]:
    return lambda value: None if str(value) in choices else f"must be one of {', '.join(choices)}"


def _boolean(value: str) -> str | None:
    ok = str(value).lower() in ("0", "1", "true", "false", "yes", "no", "on", "off", "none")
    return None if ok else "must be 0 or 1 (or true/false)"


def _anything(value: str) -> str | None:
    return None


def _key_prefix(value: str) -> str | None:
    """A Redis key prefix, ``%(spider)s`` standing for the spider's name.

    >>> _key_prefix("newscrawl:%(spider)s") is None
    True
    >>> _key_prefix("newscrawl:%(name)s")
    'must be Redis key text with no spaces, %(spider)s for the spider name'
    """
    try:
        ok = bool(value.strip()) and not any(c.isspace() for c in value) and bool(value % {"spider": "x"})
    except (KeyError, ValueError, TypeError):
        ok = False
    return None if ok else "must be Redis key text with no spaces, %(spider)s for the spider name"


# Most processes a replay may be split into (-a workers=N).
MAX_WORKERS = 64


@dataclass(frozen=True)
class Option:
    """One of newscrawl's settings: its name, default, check and meaning (one line)."""

    name: str
    default: Any
    check: Callable[[str], str | None]
    doc: str
    shown: str | None = None  # the default as the docs show it, when not its value


def _path(kind: str) -> Callable[[str], str | None]:
    return lambda value: None if str(value).strip() else f"must be a {kind} path"


def _worker(value: str) -> str | None:
    return None if str(value).replace("-", "").replace("_", "").isalnum() else "must be letters, digits, - or _"


def _contact(value: str) -> str | None:
    return None if "bot" not in str(value).lower() else "must not contain 'bot': CDN edges refuse any User-Agent that does"


OPTIONS = (
    # What a run reads and how far it goes.
    Option("NEWSCRAWL_MAX_PAGES", 50, _whole(1, 1000), "pages fetched per article at most (an article announcing more is capped and counted)"),
    Option("NEWSCRAWL_PAGE_ALL", "auto", _choice("auto", "off", "on"), "multi-page articles from their one-page view (`?page=all`): `auto` once it matched the paged text of a site's first 3, `on` always (falling back to paging when it does not look whole), `off` never"),
    Option("NEWSCRAWL_MAX_INDEX_PAGES", 200, _whole(1), "index pages followed per site, section and date (a busy day on www has about 40)"),
    Option("NEWSCRAWL_MAX_SITEMAPS", 2000, _whole(1), "sitemaps read per run (indexes may chain to new URLs forever)"),
    Option("NEWSCRAWL_SEED_BACKLOG", 10_000, _whole(1), "seeds (`-a urls`, `-a urls_file`, index pages) waiting in the scheduler at most: a long list is read as the crawl takes it"),
    Option("NEWSCRAWL_MAX_LINKS_PER_PAGE", 2000, _whole(1), "links taken from one page: a listing's article links and pager, a sitemap's entries, an article's \"Baca juga\" links and pager"),
    Option("NEWSCRAWL_PROFILE", "polite", _choice("polite", "fast"), "`fast`: no AutoThrottle or delay, more concurrency (local mirrors, tests; never the real site)"),
    Option("NEWSCRAWL_CONTACT", None, _contact, "your contact (URL or `mailto:`), appended to the default User-Agent as `(+contact)`"),
    Option("NEWSCRAWL_CRAWL_DELAY_MAX", 60, _number(0), "longest robots.txt `Crawl-delay` obeyed (seconds; polite profile)"),
    Option("NEWSCRAWL_RETRY_BACKOFF_BASE", 1.0, _number(0), "retry waits: this × 2^n seconds ..."),
    Option("NEWSCRAWL_RETRY_BACKOFF_MAX", 60, _number(0), "... at most this many"),
    Option("NEWSCRAWL_RETRY_AFTER_MAX", 120, _number(0), "longest `Retry-After` obeyed (seconds): the host waits that long"),
    Option("NEWSCRAWL_BLOCKED_AFTER", 5, _whole(1), "403s (or challenge pages) in a row after which a host is left alone this run"),
    Option("NEWSCRAWL_PROGRESS_INTERVAL", 60, _number(0), "seconds between progress lines (0: none)"),
    Option("NEWSCRAWL_STATS_FILE", None, _anything, "write the final crawl stats to this JSON file"),
    # What earlier runs exported.
    Option("NEWSCRAWL_INCREMENTAL", True, _boolean, "skip articles an earlier run exported"),
    Option("NEWSCRAWL_STATE_DIR", ".newscrawl", _path("directory"), "where the store of exported articles, the run lock and the drift history live (beside `scrapy.cfg`)"),
    Option("NEWSCRAWL_RUN_NUMBER", 0, _whole(0), "this run's number in the state folder (output names sort by it); set by the crawl command", shown="set by the crawl command"),
    Option("NEWSCRAWL_REVISIT", True, _boolean, "fetch known articles again when a sitemap `<lastmod>` moves or they are young (0: never)"),
    Option("NEWSCRAWL_REVISIT_WITHIN", 48, _number(0), "hours after publication during which articles are revisited without a signal"),
    Option("NEWSCRAWL_REVISIT_EVERY", 6, _number(0), "hours between two such revisits of an article"),
    Option("NEWSCRAWL_NEAR_DUPLICATES", "mark", _choice("mark", "drop", "off"), "syndicated copies: `mark` (`duplicate_of` = the earliest-published copy), `drop` or `off`"),
    Option("NEWSCRAWL_NEAR_DUPLICATE_DISTANCE", 3, _whole(0, 3), "SimHash bits two copies may differ by (0-3)"),
    Option("NEWSCRAWL_NEAR_DUPLICATE_MIN_WORDS", 50, _whole(0), "shorter bodies are never called copies: briefs look alike"),
    # Output.
    Option("NEWSCRAWL_CSV_FEED", False, _boolean, "also write a CSV file per run, beside its JSONL"),
    Option("NEWSCRAWL_CSV_LIST_SEPARATOR", " | ", lambda v: None if str(v) else "must not be empty", "how CSV joins list fields"),
    Option("NEWSCRAWL_CSV_BOM", True, _boolean, "CSV starts with a UTF-8 byte-order mark (spreadsheets then read it as UTF-8)"),
    Option("NEWSCRAWL_PARQUET_ROW_GROUP", 1000, _whole(1), "articles per row group of a `-O x.parquet` feed (what its writer holds in memory)"),
    # The web archive and replays.
    Option("NEWSCRAWL_ARCHIVE", True, _boolean, "write the web archive (WARC) of every article page read"),
    Option("NEWSCRAWL_ARCHIVE_LISTINGS", False, _boolean, "archive index pages and sitemaps too"),
    Option("NEWSCRAWL_ARCHIVE_GZIP_LEVEL", 6, _whole(0, 9), "gzip level of each WARC record (1 fastest, 9 smallest)"),
    Option("NEWSCRAWL_ARCHIVE_FORMAT", "warc", _choice("warc", "wacz"), "`wacz`: the archive as a WACZ (CDXJ index, page list) instead of the bare WARC"),
    Option("NEWSCRAWL_ARCHIVE_MAX_SIZE", 1_000_000_000, _whole(0), "bytes at which the web archive rolls over to a new file, the full one final at once (0: one file per run)"),
    Option("NEWSCRAWL_ARCHIVE_REVISITS", True, _boolean, "an unchanged page fetched again is a `revisit` record of its last full capture (0: every capture whole, each archive replayable alone)"),
    Option("NEWSCRAWL_ARCHIVE_TIMEOUT", 60, _number(0.1), "seconds the archive writer process may take no page, or take to finish the file, before it is killed and the run fails"),
    Option("NEWSCRAWL_REPLAY_INCREMENTAL", False, _boolean, "a replay (`-a archive=`) skips and records articles as a crawl does"),
    Option("NEWSCRAWL_REPLAY_FEED", "output/%(name)s-replay/%(name)s-%(run)s.jsonl", _path("file"), "where a replay writes (unless `-o`/`-O` says otherwise)"),
    Option("NEWSCRAWL_REPLAY_SHARE", 16 * 1024 * 1024, _whole(1024), "bytes of archive a replay worker (`-a workers`) indexes at a time"),
    Option("NEWSCRAWL_WORKERS", 1, _whole(1, MAX_WORKERS), "how many processes share this replay; set by the crawl command for `-a workers=N`", shown="set by `-a workers`"),
    Option("NEWSCRAWL_WORKER_INDEX", 0, _whole(0, MAX_WORKERS - 1), "which of them this process is; set by the crawl command", shown="set by `-a workers`"),
    Option("NEWSCRAWL_WORKERS_DIR", None, _anything, "the replay workers' shared folder; set by the crawl command", shown="set by `-a workers`"),
    Option("NEWSCRAWL_WORKER_PIDS", [], _anything, "the other workers' pids (in worker 0); set by the crawl command", shown="set by `-a workers`"),
    # The verdict.
    Option("NEWSCRAWL_HEALTH_MAX_FAILURE_SHARE", 0.8, _number(0, 1), "share of failed requests that makes a run `failed` (`blocked` when 403/429 dominate)"),
    Option("NEWSCRAWL_HEALTH_MIN_REQUESTS", 5, _whole(0), "requests a run needs before that share counts (where at least one worked)"),
    Option("NEWSCRAWL_HEALTH_MAX_INVALID_SHARE", 0.5, _number(0, 1), "share of article pages lacking url, title, body or date that means `site_changed`"),
    Option("NEWSCRAWL_HEALTH_MAX_INCOMPLETE_SHARE", 0.5, _number(0, 1), "share of multi-page articles incomplete without failed pages that means `site_changed`"),
    Option("NEWSCRAWL_HEALTH_MIN_ARTICLES", 5, _whole(0), "articles a run needs before those shares count"),
    Option("NEWSCRAWL_DRIFT", True, _boolean, "the [template drift](operations.md#template-drift) alarm"),
    Option("NEWSCRAWL_DRIFT_RUNS", 5, _whole(1), "blocks of earlier runs (each with enough articles) that make the baseline"),
    Option("NEWSCRAWL_DRIFT_MIN_RUNS", 2, _whole(1), "fewer such blocks than this: no baseline yet"),
    Option("NEWSCRAWL_DRIFT_MIN_ARTICLES", 20, _whole(1), "articles of a site its rates are judged over (smaller runs are merged with the ones before)"),
    Option("NEWSCRAWL_DRIFT_BASELINE", 0.8, _number(0, 1), "a field filled at least this often before ..."),
    Option("NEWSCRAWL_DRIFT_MAX_DROP", 0.5, _number(0, 1), "... and now less than (1 - this) times as often is drift (also the multi-page share and words per article)"),
    # Distributed mode (REDIS_URL).
    Option("NEWSCRAWL_WORKER", None, _worker, "this worker's name", shown="`<host>-<pid>`"),
    Option("NEWSCRAWL_IDLE_TIMEOUT", 30, _number(0), "seconds the shared frontier must stay empty before a worker leaves"),
    Option("NEWSCRAWL_WORKER_TTL", 10, _number(1), "seconds a worker that stopped answering (killed) still counts as alive"),
    Option("NEWSCRAWL_FRONTIER_KEY", "newscrawl:%(spider)s", lambda v: _key_prefix(str(v)), "the start of the shared frontier's Redis keys; a replay's is this with `-replay` after it"),
    Option("NEWSCRAWL_REDIS_LOST_AFTER", 30, _number(1), "seconds the shared Redis may stay silent before a worker stops (its output final, verdict failed)"),
)
DEFAULTS = {option.name: option.default for option in OPTIONS}
KNOWN = {option.name: option.check for option in OPTIONS}


def markdown_table() -> str:
    """The settings table of docs/reference.md (a test keeps them equal)."""
    def shown(option: Option) -> str:
        if option.shown is not None:
            return option.shown
        value = option.default
        if value is None:
            return "unset"
        if isinstance(value, bool):
            return "1" if value else "0"
        return f"`{value}`".replace("|", "\\|") if isinstance(value, str) else str(value)
    rows = [f"| `{o.name}` | {shown(o)} | {o.doc} |" for o in OPTIONS]
    return "\n".join(["| setting | default | meaning |", "|---|---|---|", *rows])


# Scrapy's own numeric settings, where a negative (or zero) value is a mistake.
SCRAPY_NUMBERS: dict[str, Callable[[str], str | None]] = {
    "CONCURRENT_REQUESTS": _whole(1), "CONCURRENT_REQUESTS_PER_DOMAIN": _whole(1),
    "DOWNLOAD_DELAY": _number(0), "DOWNLOAD_TIMEOUT": _number(0), "RETRY_TIMES": _whole(0),
    "DOWNLOAD_MAXSIZE": _whole(0), "DOWNLOAD_WARNSIZE": _whole(0), "AUTOTHROTTLE_MAX_DELAY": _number(0),
    "AUTOTHROTTLE_START_DELAY": _number(0), "AUTOTHROTTLE_TARGET_CONCURRENCY": _number(0),
    "CLOSESPIDER_TIMEOUT": _number(0), "CLOSESPIDER_ITEMCOUNT": _whole(0),
}


def check_settings(settings: BaseSettings) -> None:
    """Raise SettingError for an unknown ``NEWSCRAWL_*`` name or a bad value."""
    for name, check in SCRAPY_NUMBERS.items():
        value = settings.get(name)
        if value is not None and (problem := check(value)):
            raise SettingError(f"-s {name}={value}: {problem}")
    for name in settings:
        if not name.startswith("NEWSCRAWL_"):
            continue
        if name not in KNOWN:
            close = get_close_matches(name, KNOWN, n=1)
            hint = f" (did you mean {close[0]}?)" if close else ""
            raise SettingError(f"unknown setting -s {name}{hint}")
        value = settings.get(name)
        if value is not None and (problem := KNOWN[name](value)):
            raise SettingError(f"-s {name}={value}: {problem}")


if __name__ == "__main__":
    print(markdown_table())
