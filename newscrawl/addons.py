"""Settings derived from newscrawl's own settings (a Scrapy add-on, run before the crawl).

- ``NEWSCRAWL_PROFILE=fast``: politeness off, for a local mirror or a test server.
- ``NEWSCRAWL_CSV_FEED=1``: a CSV file beside each run's JSONL file (the default feed,
  ``-O FILE.jsonl``, or Scrapyd's items file alike).
- ``NEWSCRAWL_CONTACT``: appended to the default User-Agent as ``(+contact)``.
- ``REDIS_URL`` (setting or environment): distributed mode, scrapy-redis' scheduler and
  dupefilter on a shared, persistent frontier (newscrawl/distributed/frontier.py).

Values are set at "spider" priority: above settings.py, below ``-s`` on the command
line, so a single ``-s`` still overrides what a profile sets.
"""
from __future__ import annotations

import warnings
from urllib.parse import urlsplit

from scrapy.exceptions import ScrapyDeprecationWarning
from scrapy.settings import SETTINGS_PRIORITIES, Settings

from newscrawl.config import redis_url
from newscrawl.internals import leave_out_component
from newscrawl.network.identity import user_agent

PROFILES = {
    "polite": {},  # settings.py as it is
    "fast": {
        "AUTOTHROTTLE_ENABLED": False,
        "DOWNLOAD_DELAY": 0,
        "CONCURRENT_REQUESTS": 32,
        "CONCURRENT_REQUESTS_PER_DOMAIN": 16,
    },
}
CSV_FEED = "output/%(name)s/%(name)s-%(run)s.csv"
DISTRIBUTED = {
    "SCHEDULER": "newscrawl.distributed.scheduler.PatientScheduler",  # scrapy-redis', quiet while Redis is away
    "DUPEFILTER_CLASS": "scrapy_redis.dupefilter.RFPDupeFilter",
    "SCHEDULER_PERSIST": True,  # a killed worker's queue survives for the others and the next run
}


# Component paths before the modules were grouped into folders (2026-12): a user's
# `-s EXTENSIONS={"newscrawl.report.RunReport": null}`, a Scrapyd job's settings or a
# crontab keep working.
RENAMED = {
    "newscrawl.state.ArticleState": "newscrawl.dedup.state.ArticleState",
    "newscrawl.report.RunReport": "newscrawl.run.report.RunReport",
    "newscrawl.progress.Progress": "newscrawl.run.progress.Progress",
    "newscrawl.distributed.SharedFrontier": "newscrawl.distributed.frontier.SharedFrontier",
    "newscrawl.extensions.StatsFile": "newscrawl.run.stats.StatsFile",
    "newscrawl.extensions.OneLineLogFormatter": "newscrawl.run.stats.OneLineLogFormatter",
    "newscrawl.archive.ArchiveWriter": "newscrawl.archive.writer.ArchiveWriter",
    "newscrawl.replay.ReplayMiddleware": "newscrawl.archive.replay.ReplayMiddleware",
    "newscrawl.feeds.AtomicFileFeedStorage": "newscrawl.output.feeds.AtomicFileFeedStorage",
    "newscrawl.feeds.SafeCsvItemExporter": "newscrawl.output.csvfeed.SafeCsvItemExporter",
    "newscrawl.feeds.uri_params": "newscrawl.output.feeds.uri_params",
    "newscrawl.scheduler.PatientScheduler": "newscrawl.distributed.scheduler.PatientScheduler",
}
COMPONENT_DICTS = ("EXTENSIONS", "DOWNLOADER_MIDDLEWARES", "SPIDER_MIDDLEWARES", "ITEM_PIPELINES")
PATH_DICTS = ("FEED_STORAGES", "FEED_EXPORTERS")
PATHS = ("LOG_FORMATTER", "FEED_URI_PARAMS", "SCHEDULER")
# Scrapy's components that their own setting turns off, left out of Scrapy's base lists
# while it is off: Scrapy imports every listed component, even one set to None, before it
# asks it whether it is configured. RemoteControl's import (aiohttp) costs 85 ms of every
# run's start, CookiesMiddleware's (tldextract) 31 ms of a replay's, which turns cookies off.
OFF_BY_SETTING = {
    "REMOTE_CONTROL_ENABLED": ("EXTENSIONS_BASE", "scrapy.extensions.remote_control.RemoteControl"),
    "TELNETCONSOLE_ENABLED": ("EXTENSIONS_BASE", "scrapy.extensions.telnet.TelnetConsole"),
    "COOKIES_ENABLED": ("DOWNLOADER_MIDDLEWARES_BASE", "scrapy.downloadermiddlewares.cookies.CookiesMiddleware"),
}


def follow_renames(settings: Settings) -> None:
    """Old component paths, as a user's overrides may name them, made the current ones,
    with a deprecation warning naming the new path: they go in the release after 0.3."""
    for name in COMPONENT_DICTS:
        components = settings[name]
        for old in [key for key in components if key in RENAMED]:
            priority = components.getpriority(old)
            value = components[old]
            components.delete(old, priority)
            components.set(_renamed(name, old), value, priority)
    for name in PATH_DICTS:
        mapping = settings[name]
        for key in list(mapping):
            if mapping[key] in RENAMED:
                mapping.set(key, _renamed(name, mapping[key]), mapping.getpriority(key))
    for name in PATHS:
        if settings.get(name) in RENAMED:
            settings.set(name, _renamed(name, settings.get(name)), settings.getpriority(name))


def _renamed(setting: str, old: str) -> str:
    warnings.warn(f"{setting}: {old} is an old path of {RENAMED[old]}: write the new one "
                  "(the old paths go in the release after 0.3)", ScrapyDeprecationWarning, stacklevel=2)
    return RENAMED[old]


def leave_out_disabled(settings: Settings) -> None:
    """Scrapy's components that are off by their own setting, not even imported."""
    for flag, (name, path) in OFF_BY_SETTING.items():
        if not settings.getbool(flag):
            leave_out_component(settings, name, path)


class NewscrawlAddon:
    def update_settings(self, settings: Settings) -> None:
        follow_renames(settings)
        leave_out_disabled(settings)
        for name, value in PROFILES[settings.get("NEWSCRAWL_PROFILE")].items():
            settings.set(name, value, priority="spider")
        contact = settings.get("NEWSCRAWL_CONTACT")
        if contact and settings.getpriority("USER_AGENT") <= SETTINGS_PRIORITIES["project"]:
            settings.set("USER_AGENT", user_agent(contact), priority="spider")  # -s USER_AGENT still wins
        if url := redis_url(settings):
            frontier = settings.get("NEWSCRAWL_FRONTIER_KEY")  # a replay's is not the live crawl's
            for name, value in {**DISTRIBUTED, "REDIS_URL": url, "SCHEDULER_QUEUE_KEY": f"{frontier}:requests",
                                "SCHEDULER_DUPEFILTER_KEY": f"{frontier}:dupefilter"}.items():
                settings.set(name, value, priority="spider")
        if settings.getbool("NEWSCRAWL_CSV_FEED"):
            feeds = dict(settings.getdict("FEEDS"))
            uri, options = csv_beside(feeds)
            if uri is not None:
                feeds[uri] = options
                settings.set("FEEDS", feeds, priority=max(settings.getpriority("FEEDS") or 0, 30))


def csv_beside(feeds: dict) -> tuple[str | None, dict]:
    """The CSV feed beside the first local JSON Lines/JSON feed: same name, ``.csv``.

    >>> csv_beside({"output/%(name)s/%(name)s-%(run)s.jsonl": {"format": "jsonlines"}})[0]
    'output/%(name)s/%(name)s-%(run)s.csv'
    >>> csv_beside({"file:///var/lib/scrapyd/items/newscrawl/tribun/job1.jl": {"format": "jsonlines"}})[0]
    'file:///var/lib/scrapyd/items/newscrawl/tribun/job1.csv'
    >>> csv_beside({"articles.csv": {"format": "csv"}})
    (None, {})
    """
    for uri, options in feeds.items():
        uri = str(uri)
        format_ = (options or {}).get("format")
        if format_ == "csv":
            return None, {}  # there is a CSV already
        if format_ in ("jsonlines", "jsonl", "json") and urlsplit(uri).scheme in ("", "file"):
            stem = uri.rsplit(".", 1)[0] if "." in uri.rsplit("/", 1)[-1] else uri
            keep = {k: v for k, v in options.items() if k in ("overwrite", "store_empty")}
            return f"{stem}.csv", {"format": "csv", "encoding": "utf-8", **keep}
    return CSV_FEED, {"format": "csv", "encoding": "utf-8"}

