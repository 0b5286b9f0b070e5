"""newscrawl's own ``NEWSCRAWL_*`` settings: the known names and a check of their values.

The crawl command runs the check before anything starts, so a typo such as
``-s NEWSCRAWL_MAXPAGES=5`` is a one-line error instead of a silently ignored setting.
"""
from __future__ import annotations

import hashlib
import os
import socket
from difflib import get_close_matches
from pathlib import Path
from typing import Any, Callable

from scrapy.settings import SETTINGS_PRIORITIES, BaseSettings
from scrapy.utils.conf import closest_scrapy_cfg

from newscrawl.dedup.store import STORE_NAME

# The run's own output file (settings.py FEEDS), one per run: %(run)s is its run id.
RUN_FEED = "output/%(name)s/%(name)s-%(run)s.jsonl"


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


KNOWN: dict[str, Callable[[str], str | None]] = {
    "NEWSCRAWL_MAX_PAGES": _whole(1, 1000),
    "NEWSCRAWL_RUN_NUMBER": _whole(0),
    "NEWSCRAWL_MAX_INDEX_PAGES": _whole(1),
    "NEWSCRAWL_MAX_SITEMAPS": _whole(1),
    "NEWSCRAWL_MAX_LINKS_PER_PAGE": _whole(1),
    "NEWSCRAWL_STATS_FILE": _anything,
    "NEWSCRAWL_INCREMENTAL": _boolean,
    "NEWSCRAWL_STATE_DIR": lambda v: None if str(v).strip() else "must be a directory path",
    "NEWSCRAWL_NEAR_DUPLICATES": _choice("mark", "drop", "off"),
    "NEWSCRAWL_NEAR_DUPLICATE_DISTANCE": _whole(0, 3),
    "NEWSCRAWL_NEAR_DUPLICATE_MIN_WORDS": _whole(0),
    "NEWSCRAWL_CSV_FEED": _boolean,
    "NEWSCRAWL_ARCHIVE": _boolean,
    "NEWSCRAWL_ARCHIVE_LISTINGS": _boolean,
    "NEWSCRAWL_ARCHIVE_GZIP_LEVEL": _whole(0, 9),
    "NEWSCRAWL_ARCHIVE_FORMAT": _choice("warc", "wacz"),
    "NEWSCRAWL_ARCHIVE_TIMEOUT": _number(0.1),
    "NEWSCRAWL_REPLAY_INCREMENTAL": _boolean,
    "NEWSCRAWL_REVISIT": _boolean,
    "NEWSCRAWL_REVISIT_WITHIN": _number(0),
    "NEWSCRAWL_REVISIT_EVERY": _number(0),
    "NEWSCRAWL_REPLAY_FEED": lambda v: None if str(v).strip() else "must be a file path",
    "NEWSCRAWL_CSV_LIST_SEPARATOR": lambda v: None if str(v) else "must not be empty",
    "NEWSCRAWL_CSV_BOM": _boolean,
    "NEWSCRAWL_PARQUET_ROW_GROUP": _whole(1),
    "NEWSCRAWL_WORKERS": _whole(1, 64),
    "NEWSCRAWL_WORKER_INDEX": _whole(0, 63),
    "NEWSCRAWL_WORKERS_DIR": _anything,
    "NEWSCRAWL_WORKER_PIDS": _anything,
    "NEWSCRAWL_REPLAY_SHARE": _whole(1024),
    "NEWSCRAWL_PROFILE": _choice("polite", "fast"),
    "NEWSCRAWL_PROGRESS_INTERVAL": _number(0),
    "NEWSCRAWL_HEALTH_MAX_FAILURE_SHARE": _number(0, 1),
    "NEWSCRAWL_HEALTH_MIN_REQUESTS": _whole(0),
    "NEWSCRAWL_HEALTH_MAX_INVALID_SHARE": _number(0, 1),
    "NEWSCRAWL_HEALTH_MAX_INCOMPLETE_SHARE": _number(0, 1),
    "NEWSCRAWL_HEALTH_MIN_ARTICLES": _whole(0),
    "NEWSCRAWL_RETRY_BACKOFF_BASE": _number(0),
    "NEWSCRAWL_RETRY_BACKOFF_MAX": _number(0),
    "NEWSCRAWL_RETRY_AFTER_MAX": _number(0),
    "NEWSCRAWL_BLOCKED_AFTER": _whole(1),
    "NEWSCRAWL_CRAWL_DELAY_MAX": _number(0),
    "NEWSCRAWL_WORKER": lambda v: None if str(v).replace("-", "").replace("_", "").isalnum()
    else "must be letters, digits, - or _",
    "NEWSCRAWL_IDLE_TIMEOUT": _number(0),
    "NEWSCRAWL_WORKER_TTL": _number(1),
    "NEWSCRAWL_REDIS_LOST_AFTER": _number(1),
    "NEWSCRAWL_FRONTIER_KEY": lambda v: _key_prefix(str(v)),
    "NEWSCRAWL_CONTACT": lambda v: None if "bot" not in str(v).lower() else
    "must not contain 'bot': CDN edges refuse any User-Agent that does",
    "NEWSCRAWL_DRIFT": _boolean,
    "NEWSCRAWL_DRIFT_RUNS": _whole(1),
    "NEWSCRAWL_DRIFT_MIN_RUNS": _whole(1),
    "NEWSCRAWL_DRIFT_MIN_ARTICLES": _whole(1),
    "NEWSCRAWL_DRIFT_BASELINE": _number(0, 1),
    "NEWSCRAWL_DRIFT_MAX_DROP": _number(0, 1),
}
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


def anchor_to_project(settings: BaseSettings, root: Path | None) -> None:
    """Make the default (not command-line) output and state folders relative to ``root``,
    the folder of ``scrapy.cfg``, as Scrapy places its own ``.scrapy`` folder there.

    A run started from a subfolder of the checkout then uses the same ``output/`` and
    ``.newscrawl/`` as one started beside ``scrapy.cfg``, instead of a fresh state that
    exports everything again. ``-s``/``-O`` paths stay relative to where you are.
    """
    if root is None:
        return
    cmdline = SETTINGS_PRIORITIES["cmdline"]
    state_dir = settings.get("NEWSCRAWL_STATE_DIR")
    if (settings.getpriority("NEWSCRAWL_STATE_DIR") or 0) < cmdline and not Path(state_dir).is_absolute():
        settings.set("NEWSCRAWL_STATE_DIR", str(root / state_dir), priority=settings.getpriority("NEWSCRAWL_STATE_DIR"))
    if (settings.getpriority("FEEDS") or 0) < cmdline:
        feeds = {_anchored(str(uri), root): options for uri, options in settings.getdict("FEEDS").items()}
        settings.set("FEEDS", feeds, priority=settings.getpriority("FEEDS"))


def explicit_output_state(settings: BaseSettings, given: list[str]) -> None:
    """A run whose output is a file you named (``-o``/``-O``) keeps its record of exported
    articles apart, in ``<state dir>/outputs/<name>-<hash>/``: what it marks as exported is
    in that file, never missing from the output folder of the runs without ``-o``/``-O``
    (a first-run check ``-O check.jsonl`` would otherwise spend the cron run's articles).
    The same file names the same folder, so a cron job with ``-o all.jsonl`` stays
    incremental. A file that earlier runs wrote with the shared store (before 0.3), and
    that has no folder of its own yet, goes on with the shared one. ``-s NEWSCRAWL_STATE_DIR``
    given on the command line is used as it is.
    """
    if not given or (settings.getpriority("NEWSCRAWL_STATE_DIR") or 0) >= SETTINGS_PRIORITIES["cmdline"]:
        return
    shared = Path(settings.get("NEWSCRAWL_STATE_DIR"))
    files = sorted(str(Path(uri.split(":", 1)[0] if ":" in uri and "://" not in uri else uri).resolve())
                   for uri in given)
    own = shared / "outputs" / f"{Path(files[0]).name}-{hashlib.sha1(chr(0).join(files).encode()).hexdigest()[:10]}"
    if not own.exists() and any(Path(f).exists() for f in files) and (shared / STORE_NAME).exists():
        return  # written by earlier runs with the shared store: it goes on with it
    settings.set("NEWSCRAWL_STATE_DIR", str(own), priority=settings.getpriority("NEWSCRAWL_STATE_DIR"))


def _anchored(uri: str, root: Path) -> str:
    """A relative local feed path made absolute under ``root``; other URIs unchanged.

    >>> _anchored("output/%(name)s/x.jsonl", Path("/srv/newscrawl")), _anchored("s3://b/x.jsonl", Path("/r"))
    ('/srv/newscrawl/output/%(name)s/x.jsonl', 's3://b/x.jsonl')
    """
    if "://" in uri or Path(uri).is_absolute():
        return uri
    return str(root / uri)


def project_root() -> Path | None:
    """The folder of the closest ``scrapy.cfg`` above the current one, or None."""
    found = closest_scrapy_cfg()
    return Path(found).parent if found else None


def redis_url(settings: Any) -> str | None:
    """The Redis URL of distributed mode (setting, else environment), or None."""
    return settings.get("REDIS_URL") or os.environ.get("REDIS_URL") or None


# Under the frontier key: a distributed replay's shared index and article tickets
# (newscrawl/archive/shared_index.py), cleared with the crawl (distributed/frontier.py).
REPLAY_KEYS = "replay"


def frontier_key(settings: Any, spider_name: str) -> str:
    """The start of the shared frontier's Redis keys (``NEWSCRAWL_FRONTIER_KEY``, a replay's
    its own) for this spider: ``newscrawl:tribun``, ``newscrawl:tribun-replay``."""
    return settings.get("NEWSCRAWL_FRONTIER_KEY") % {"spider": spider_name}


def worker_name(settings: Any) -> str:
    """This worker's name: ``NEWSCRAWL_WORKER``, else ``<host>-<pid>``."""
    return settings.get("NEWSCRAWL_WORKER") or f"{socket.gethostname()}-{os.getpid()}"
