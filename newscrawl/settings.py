"""Settings that differ from Scrapy's defaults; each says why and what the default was."""

from newscrawl.config import RUN_FEED
from newscrawl.options import DEFAULTS
from newscrawl.items import ARTICLE_FIELDS
from newscrawl.network.identity import user_agent

BOT_NAME = "newscrawl"
SPIDER_MODULES = ["newscrawl.spiders"]
NEWSPIDER_MODULE = "newscrawl.spiders"

# Our `crawl` command rejects bad -a values in one line before anything starts.
# Default: None (Scrapy's commands only).
COMMANDS_MODULE = "newscrawl.commands"

# A browser-shaped string with our own product token appended, never the word "bot":
# Tribun's CloudFront edge answered 403 on every path to any User-Agent that is not
# browser-shaped or that contains "bot", and 200 to a browser string with a crawler's
# token appended (observed 2026-07-24, docs/field-reference.md section 7). The token says who
# we are; NEWSCRAWL_CONTACT appends "(+contact)" (newscrawl/addons.py).
# Default: "Scrapy/<version> (+https://scrapy.org)", which that edge refuses.
USER_AGENT = user_agent()
# robots.txt rules are looked up under our product token, not the browser string.
# Default: None (the User-Agent).
ROBOTSTXT_USER_AGENT = "newscrawl"

# Manners. Default: False (robots.txt ignored).
ROBOTSTXT_OBEY = True
# Default: False. Adapts the delay to the server's latency.
AUTOTHROTTLE_ENABLED = True
# Default: 8 per host. Be gentle with each Tribun site; other sites run in parallel.
CONCURRENT_REQUESTS_PER_DOMAIN = 4
# Default: 100. Scrapy starts this many asyncio tasks for EACH response's output; ours
# yields one request or one item per article page, so 100 tasks per page cost more CPU
# than the whole item pipeline (profiled: ~1 s per 800 pages). 8 still lets a listing's
# dozens of requests go through without waiting.
CONCURRENT_ITEMS = 8

# A news page that takes minutes is broken. Default: 180 s.
DOWNLOAD_TIMEOUT = 30
# Article pages weigh 100-150 KB; a page of many MB is an error page or a trap.
# Defaults: 1024 MB and 32 MB.
DOWNLOAD_MAXSIZE = 8 * 1024 * 1024
DOWNLOAD_WARNSIZE = 2 * 1024 * 1024
# Retries that wait (exponential backoff, Retry-After) instead of Scrapy's immediate
# ones, and hosts that answer 403 left alone. Default: RetryMiddleware at 550.
DOWNLOADER_MIDDLEWARES = {
    "scrapy.downloadermiddlewares.retry.RetryMiddleware": None,
    "newscrawl.middlewares.BackoffRetryMiddleware": 550,
    "newscrawl.middlewares.BlockedHostMiddleware": 50,
    # First of all: nothing leaves the allowed hosts, redirects and dont_filter included.
    # The one host check: Scrapy's offsite middleware (and allowed_domains) would be a
    # second list, and lets dont_filter requests through.
    "newscrawl.middlewares.AllowedHostsMiddleware": 40,
    "scrapy.downloadermiddlewares.offsite.OffsiteMiddleware": None,
    # Without the traceback per request when this machine is offline. Default: Scrapy's at 100.
    "scrapy.downloadermiddlewares.robotstxt.RobotsTxtMiddleware": None,
    "newscrawl.middlewares.QuietRobotsTxtMiddleware": 100,
    # robots.txt's Crawl-delay, per host (polite profile).
    "newscrawl.middlewares.CrawlDelayMiddleware": 110,
    # Next to the downloader: pages archived as served (before decompression and
    # redirects), and replayed from archives in their place (-a archive=...).
    "newscrawl.archive.writer.ArchiveWriter": 950,
    "newscrawl.archive.replay.ReplayMiddleware": 960,
}

# The crawl opens no door on the machine it runs on: no telnet console (Default: on,
# 127.0.0.1:6023) and no remote-control HTTP endpoint (Default: on, with token files in
# the home folder). It writes only in its output and state folders.
TELNETCONSOLE_ENABLED = False
REMOTE_CONTROL_ENABLED = False
# Only http and https, anywhere (URLs, canonicals, redirects): a file:// or ftp:// link on
# a page must never read the local disk or another service. Default: file, data, s3, ftp on.
DOWNLOAD_HANDLERS = {"file": None, "data": None, "s3": None, "ftp": None}

# Default: "DEBUG", far too chatty for cron mail.
LOG_LEVEL = "INFO"
# Our Progress extension logs the progress line (NEWSCRAWL_PROGRESS_INTERVAL); Scrapy's
# LogStats would log a second one every minute. Default: 60.0.
LOGSTATS_INTERVAL = 0
# A dropped article is one INFO line, not its whole body. Default: scrapy.logformatter.LogFormatter.
LOG_FORMATTER = "newscrawl.run.stats.OneLineLogFormatter"

# UTF-8 without \u escapes in JSONL. Default: None (JSON with \u escapes).
FEED_EXPORT_ENCODING = "utf-8"
# Default: no feed. One JSONL file per run (newscrawl/output/feeds.py adds CSV on request).
FEEDS = {RUN_FEED: {"format": "jsonlines", "encoding": "utf-8"}}
# Adds %(run)s, the run's start to the microsecond: two runs never share a file.
# Default: None (%(time)s has whole seconds only).
FEED_URI_PARAMS = "newscrawl.output.feeds.uri_params"
# Every column in schema order, even when the first item lacks some. Default: None
# (the first item's fields).
FEED_EXPORT_FIELDS = list(ARTICLE_FIELDS)
# A run that exports nothing (all known, or a failure) leaves no empty file for
# consumers to pick up. Default: True.
FEED_STORE_EMPTY = False
# Written as <name>.part and renamed when complete. Default: FileFeedStorage.
FEED_STORAGES = {
    "": "newscrawl.output.feeds.AtomicFileFeedStorage",
    "file": "newscrawl.output.feeds.AtomicFileFeedStorage",
}
# CSV: lists joined, formulas neutralised. Default: scrapy.exporters.CsvItemExporter.
# Parquet (-O articles.parquet): typed columns in row groups. Default: no Parquet exporter.
FEED_EXPORTERS = {"csv": "newscrawl.output.csvfeed.SafeCsvItemExporter",
                  "parquet": "newscrawl.output.parquetfeed.ParquetItemExporter"}
# Default: none.
ADDONS = {"newscrawl.addons.NewscrawlAddon": 0}

# Default: none. Order: normalize, validate, deduplicate, near-duplicates.
ITEM_PIPELINES = {
    "newscrawl.pipelines.NormalizePipeline": 100,
    "newscrawl.pipelines.ValidatePipeline": 200,
    "newscrawl.pipelines.DeduplicatePipeline": 300,
    "newscrawl.pipelines.NearDuplicatePipeline": 400,
}

# Default: none.
EXTENSIONS = {
    "newscrawl.dedup.state.ArticleState": 100,
    "newscrawl.dedup.copies.Copies": 101,  # syndicated copies: asks ArticleState's store
    # After ArticleState: the run's files, their commit, and the record of its exports.
    "newscrawl.output.ledger.RunLedger": 110,
    "newscrawl.run.report.RunReport": 200,
    # -a urls_file: which listed articles changed or are gone (in the report).
    "newscrawl.run.listcheck.ListCheck": 210,
    "newscrawl.run.progress.Progress": 300,
    "newscrawl.distributed.frontier.SharedFrontier": 150,
    "newscrawl.run.stats.StatsFile": 500,
    "newscrawl.run.jobdir.MarkFinishedJob": 510,
    # -a workers: worker 0 takes in the other workers' articles and counts.
    "newscrawl.archive.worker_merge.WorkerMerge": 120,
}

# ---- newscrawl's own settings (not Scrapy's) -----------------------------------------
# Their names, defaults, checks and meanings are one table, newscrawl/options.py (and the
# settings table of docs/reference.md, printed from it). Override any with -s as usual.
globals().update(DEFAULTS)
