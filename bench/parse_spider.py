"""The parse-only spider of the benchmark: the null spider plus lxml parsing each page, nothing else.

    scrapy runspider bench/parse_spider.py -a manifest=urls.txt [-a processes=1]

It bounds what any spider that reads the pages can reach: with ``processes=0`` each page
is parsed on the crawl's thread (as Scrapy callbacks run); with ``processes=N`` it is
parsed in N worker processes (a ProcessPoolExecutor) while the crawl goes on. No
extraction, no item, no pipeline, no export.
"""
from __future__ import annotations

import asyncio
import multiprocessing
import sys
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Any, AsyncIterator

import scrapy
from lxml import etree


# Seconds a worker process may take over one page.
PAGE_TIMEOUT = 60


def parse(body: bytes) -> int:
    """Parse a page; return something small, as a real extraction would."""
    return len(etree.fromstring(body, etree.HTMLParser()))


class ParseSpider(scrapy.Spider):
    name = "parse"

    def __init__(self, manifest: str, processes: str = "0", *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.urls = Path(manifest).read_text().split()
        # The pool's workers unpickle ``parse`` by its module's name: `scrapy runspider`
        # imports this file with its folder on sys.path and then removes the folder, so a
        # spawned worker could not import it, died on its first task, and the crawl waited
        # for ever. The folder stays on sys.path, which the workers inherit.
        folder = str(Path(__file__).resolve().parent)
        if folder not in sys.path:
            sys.path.insert(0, folder)
        self.pool = (ProcessPoolExecutor(int(processes), mp_context=multiprocessing.get_context("spawn"))
                     if int(processes) else None)

    async def start(self) -> AsyncIterator[scrapy.Request]:
        for url in self.urls:
            yield scrapy.Request(url, callback=self.parse, dont_filter=True)

    async def parse(self, response: scrapy.http.Response) -> None:
        if self.pool is None:
            parse(response.body)
        else:  # bounded: a worker that died never holds the crawl
            await asyncio.wait_for(asyncio.wrap_future(self.pool.submit(parse, response.body)), PAGE_TIMEOUT)

    def closed(self, reason: str) -> None:
        if self.pool is not None:
            self.pool.shutdown(cancel_futures=True)
