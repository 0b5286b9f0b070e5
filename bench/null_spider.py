"""The null spider of the benchmark: requests exactly the pages a crawl requests, extracts nothing.

    scrapy runspider bench/null_spider.py -a manifest=urls.txt

Run with the project's settings (downloader, middlewares, politeness), so the difference
between it and `scrapy crawl tribun` over the same pages is what extraction, merging,
pipelines and export cost.
"""
from __future__ import annotations

from pathlib import Path
from typing import Any, AsyncIterator

import scrapy


class NullSpider(scrapy.Spider):
    name = "null"

    def __init__(self, manifest: str, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.urls = Path(manifest).read_text().split()

    async def start(self) -> AsyncIterator[scrapy.Request]:
        for url in self.urls:
            yield scrapy.Request(url, callback=self.parse, dont_filter=True)

    def parse(self, response: scrapy.http.Response) -> None:
        return None
