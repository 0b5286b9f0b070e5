"""Project commands: `crawl` here replaces Scrapy's to reject bad arguments cleanly."""
