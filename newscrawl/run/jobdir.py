"""``JOBDIR``, Scrapy's pause and resume: a paused run resumes; a finished one never swallows the next.

Scrapy keeps a job's queue and its seen requests in ``JOBDIR``. Given again after the job
*ended*, that folder would resume a finished queue whose seen-requests list filters the new
run's seeds: 0 requests, verdict ok, nothing crawled. So a run that ends for any reason but
a pause (Ctrl-C, SIGTERM: ``shutdown``) marks its ``JOBDIR`` finished, and the crawl command
clears a finished ``JOBDIR`` before the next run starts.
"""
from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

from scrapy import signals

FINISHED = "newscrawl-finished"
# What Scrapy keeps in a JOBDIR: the scheduler's queue, the dupefilter's seen requests,
# SpiderState's pickle.
SCRAPY_FILES = ("requests.queue", "requests.seen", "spider.state")


def start_afresh(jobdir: str | None) -> str | None:
    """Clear a ``JOBDIR`` whose run ended; a sentence saying so, or None (nothing to do)."""
    if not jobdir or not (Path(jobdir) / FINISHED).exists():
        return None
    folder = Path(jobdir)
    for name in (*SCRAPY_FILES, FINISHED):
        path = folder / name
        if path.is_dir() and not path.is_symlink():
            shutil.rmtree(path)
        else:
            path.unlink(missing_ok=True)
    return f"JOBDIR {jobdir} holds a run that ended, not a paused one: starting afresh"


class MarkFinishedJob:
    """Marks ``JOBDIR`` finished when the run ends for any reason but a pause."""

    def __init__(self, jobdir: str | None) -> None:
        self.jobdir = jobdir

    @classmethod
    def from_crawler(cls, crawler: Any) -> "MarkFinishedJob":
        extension = cls(crawler.settings.get("JOBDIR"))
        crawler.signals.connect(extension.spider_closed, signal=signals.spider_closed)
        return extension

    def spider_closed(self, spider: Any = None, reason: str | None = None) -> None:
        if self.jobdir and reason != "shutdown":
            try:
                (Path(self.jobdir) / FINISHED).write_text(f"{reason}\n")
            except OSError:
                pass  # the next run resumes as Scrapy would
