"""Settings that differ from Scrapy's defaults; each says why and what the default was."""

from newscrawl.config import RUN_FEED
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
    "newscrawl.middlewares.AllowedHostsMiddleware": 40,
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
# Your contact (a URL or mailto:), appended to the default User-Agent as "(+CONTACT)" so
# that a site's operators can reach you. Ignored when -s USER_AGENT=... replaces it.
NEWSCRAWL_CONTACT = None
# Set by the crawl command: this run's number in the state folder (output names sort by
# it). 0: none (the name then starts with the time).
NEWSCRAWL_RUN_NUMBER = 0
# Pages fetched per article at most; an article announcing more is capped and counted.
NEWSCRAWL_MAX_PAGES = 50
# Bounds against pages that never end: index pages followed per site, section and date
# (a busy day on www has about 40); sitemaps read per run (indexes may chain to new
# URLs forever); links taken from one page (article links, pager, "Baca juga").
NEWSCRAWL_MAX_INDEX_PAGES = 200
NEWSCRAWL_MAX_SITEMAPS = 2000
NEWSCRAWL_MAX_LINKS_PER_PAGE = 2000
# Path of a JSON file to write the final crawl stats to (for monitoring and tests).
NEWSCRAWL_STATS_FILE = None
# Incremental runs: skip articles an earlier run exported (store in NEWSCRAWL_STATE_DIR).
NEWSCRAWL_INCREMENTAL = True
NEWSCRAWL_STATE_DIR = ".newscrawl"
# The web archive (newscrawl/archive/writer.py): every article page read, as WARC 1.1 beside
# the run's JSONL; also index pages and sitemaps with NEWSCRAWL_ARCHIVE_LISTINGS; each
# record compressed at this gzip level (1 fastest .. 9 smallest).
NEWSCRAWL_ARCHIVE = True
NEWSCRAWL_ARCHIVE_LISTINGS = False
NEWSCRAWL_ARCHIVE_GZIP_LEVEL = 6
# "warc": the bare WARC (.warc.gz); "wacz": a WACZ holding it with its CDXJ index and a page
# list per article, which ReplayWeb.page opens as it is and pywb adds to a collection with its
# own index (newscrawl/archive/wacz.py).
NEWSCRAWL_ARCHIVE_FORMAT = "warc"
# Seconds the archive writer process may take no page (stopped, a hung disk) or take to
# finish the file at close before it is killed and the run fails: never a hung crawl.
NEWSCRAWL_ARCHIVE_TIMEOUT = 60
# A replay (-a archive=...) neither asks nor updates the store of exported articles,
# unless this is on; it writes to this feed unless -o/-O says otherwise.
NEWSCRAWL_REPLAY_INCREMENTAL = False
NEWSCRAWL_REPLAY_FEED = "output/%(name)s-replay/%(name)s-%(run)s.jsonl"
# Set by the crawl command for -a workers=N (newscrawl/archive/workers.py): how many
# processes share the replay, which one this is, their folder, the others' pids.
NEWSCRAWL_WORKERS = 1
NEWSCRAWL_WORKER_INDEX = 0
NEWSCRAWL_WORKERS_DIR = None
NEWSCRAWL_WORKER_PIDS = []
# Bytes of archive a replay worker indexes at a time: each takes the next share no other
# took, so none waits long for another's last file.
NEWSCRAWL_REPLAY_SHARE = 16 * 1024 * 1024
# Updated articles (newscrawl/dedup/revisit.py): a known article is fetched again when a
# sitemap's <lastmod> is newer than the one stored, or when it is younger than
# REVISIT_WITHIN hours and was fetched REVISIT_EVERY hours ago or more; a changed one is
# exported as its next version. NEWSCRAWL_REVISIT=0: known articles are never fetched again.
NEWSCRAWL_REVISIT = True
NEWSCRAWL_REVISIT_WITHIN = 48
NEWSCRAWL_REVISIT_EVERY = 6
# Syndicated copies: "mark" (duplicate_of = first-seen URL), "drop" or "off".
NEWSCRAWL_NEAR_DUPLICATES = "mark"
# SimHash bits two bodies may differ by and still be copies (0-3).
NEWSCRAWL_NEAR_DUPLICATE_DISTANCE = 3
# Bodies shorter than this are never called copies: briefs look alike.
NEWSCRAWL_NEAR_DUPLICATE_MIN_WORDS = 50
# CSV: also write output/tribun/tribun-<time>.csv; how list fields are joined.
NEWSCRAWL_CSV_FEED = False
NEWSCRAWL_CSV_LIST_SEPARATOR = " | "
# CSV starts with a UTF-8 byte-order mark: spreadsheets then read it as UTF-8.
NEWSCRAWL_CSV_BOM = True
# Parquet feed: articles per row group (a row group is what the writer holds in memory).
NEWSCRAWL_PARQUET_ROW_GROUP = 1000
# "polite" (this file as it is) or "fast" (no AutoThrottle or delay, more
# concurrency: for local mirrors and tests). newscrawl/addons.py applies it.
NEWSCRAWL_PROFILE = "polite"
# Seconds between progress lines in the log (0: none).
NEWSCRAWL_PROGRESS_INTERVAL = 60
# Health verdict at close (newscrawl/run/report.py). A run is "failed" ("blocked" when
# 403/429 dominate) when at least this share of its requests failed ...
NEWSCRAWL_HEALTH_MAX_FAILURE_SHARE = 0.8
NEWSCRAWL_HEALTH_MIN_REQUESTS = 5
# ... and "site_changed" when this share of fetched article pages lacks url, title,
# body or date, or of multi-page articles is incomplete without failed pages.
NEWSCRAWL_HEALTH_MAX_INVALID_SHARE = 0.5
NEWSCRAWL_HEALTH_MAX_INCOMPLETE_SHARE = 0.5
NEWSCRAWL_HEALTH_MIN_ARTICLES = 5
# Template drift (newscrawl/run/drift.py): each run's field coverage per site is kept in
# <state dir>/coverage.ndjson. A field that the last DRIFT_RUNS runs with at least
# DRIFT_MIN_ARTICLES articles of that site (DRIFT_MIN_RUNS of them at least) filled in
# DRIFT_BASELINE of their articles or more, and that this run (with as many articles)
# fills less than (1 - DRIFT_MAX_DROP) times as often, makes the run "site_changed".
NEWSCRAWL_DRIFT = True
NEWSCRAWL_DRIFT_RUNS = 5
NEWSCRAWL_DRIFT_MIN_RUNS = 2
NEWSCRAWL_DRIFT_MIN_ARTICLES = 20
NEWSCRAWL_DRIFT_BASELINE = 0.8
NEWSCRAWL_DRIFT_MAX_DROP = 0.5
# The longest robots.txt Crawl-delay obeyed (seconds): a site asking for hours between
# requests would stall the crawl.
NEWSCRAWL_CRAWL_DELAY_MAX = 60
# Retry waits: NEWSCRAWL_RETRY_BACKOFF_BASE * 2**n seconds (at most ..._MAX); a
# Retry-After header is obeyed up to NEWSCRAWL_RETRY_AFTER_MAX seconds.
NEWSCRAWL_RETRY_BACKOFF_BASE = 1.0
NEWSCRAWL_RETRY_BACKOFF_MAX = 60
NEWSCRAWL_RETRY_AFTER_MAX = 120
# A host answering 403 to this many requests in a row is not asked again this run.
NEWSCRAWL_BLOCKED_AFTER = 5
# Distributed mode (REDIS_URL set): this worker's name (default <host>-<pid>), how long
# the shared frontier must stay empty before a worker leaves, and how long a worker that
# stopped answering (killed) still counts as alive.
NEWSCRAWL_WORKER = None
NEWSCRAWL_IDLE_TIMEOUT = 30
NEWSCRAWL_WORKER_TTL = 10
# The shared frontier's Redis keys (queue, dupefilter, seeding, claims, workers) start with
# this; a replay's with "<this>-replay" (newscrawl/archive/replay.py), so that a replay and a
# live crawl on one Redis never take each other's requests.
NEWSCRAWL_FRONTIER_KEY = "newscrawl:%(spider)s"
# Seconds the shared Redis may stay silent before a worker stops (finalizing its output,
# verdict failed): a worker whose Redis died must not run on for ever.
NEWSCRAWL_REDIS_LOST_AFTER = 30
