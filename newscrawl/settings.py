"""Settings that differ from Scrapy's defaults; each says why and what the default was."""

BOT_NAME = "newscrawl"
SPIDER_MODULES = ["newscrawl.spiders"]
NEWSPIDER_MODULE = "newscrawl.spiders"

# Our `crawl` command rejects bad -a values in one line before anything starts.
# Default: None (Scrapy's commands only).
COMMANDS_MODULE = "newscrawl.commands"

# Honest, configurable identity: the CDN answers 403 to disguised bots (tribun-site.md
# section 6). Default: "Scrapy/<version> (+https://scrapy.org)".
USER_AGENT = "newscrawl/0.1 (news research crawler; Scrapy)"

# Manners. Default: False (robots.txt ignored).
ROBOTSTXT_OBEY = True
# Default: False. Adapts the delay to the server's latency.
AUTOTHROTTLE_ENABLED = True
# Default: 8 per host. Be gentle with each Tribun site; other sites run in parallel.
CONCURRENT_REQUESTS_PER_DOMAIN = 4

# A news page that takes minutes is broken. Default: 180 s.
DOWNLOAD_TIMEOUT = 30

# Default: "DEBUG", far too chatty for cron mail.
LOG_LEVEL = "INFO"

# UTF-8 without \u escapes in JSONL. Default: None (JSON with \u escapes).
FEED_EXPORT_ENCODING = "utf-8"
# Default: no feed. One JSONL file per run.
FEEDS = {
    "output/%(name)s/%(name)s-%(time)s.jsonl": {"format": "jsonlines", "encoding": "utf-8"},
}

# Default: none.
ITEM_PIPELINES = {
    "newscrawl.pipelines.DerivedFieldsPipeline": 300,
}

# Default: none.
EXTENSIONS = {
    "newscrawl.extensions.StatsFile": 500,
}

# ---- newscrawl's own settings (not Scrapy's) -----------------------------------------
# Pages fetched per article at most; an article announcing more is capped and counted.
NEWSCRAWL_MAX_PAGES = 50
# Path of a JSON file to write the final crawl stats to (for monitoring and tests).
NEWSCRAWL_STATS_FILE = None
