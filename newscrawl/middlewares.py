"""Downloader middlewares for a web that fails: retries that back off, and hosts that refuse us.

- ``BackoffRetryMiddleware`` replaces Scrapy's RetryMiddleware: the same retries
  (``RETRY_TIMES``, ``RETRY_HTTP_CODES``), but each one waits, exponentially longer,
  and a 429/503 with ``Retry-After`` makes its host wait as told, up to
  ``NEWSCRAWL_RETRY_AFTER_MAX``; waiting requests leave the downloader meanwhile.
- ``BlockedHostMiddleware`` stops requesting a host that answered 403 to
  ``NEWSCRAWL_BLOCKED_AFTER`` requests in a row, instead of hammering it, and a host
  whose name does not resolve (after the retries): one log line, not one per request.
- ``AllowedHostsMiddleware``: no request of any kind (page 2..N and redirects
  included, which Scrapy's offsite check lets through with ``dont_filter``) reaches a
  host outside the network and the ``-a urls`` hosts (their port included).
- ``CrawlDelayMiddleware``: robots.txt's ``Crawl-delay``, obeyed per host in the polite
  profile (Scrapy reads it but does not apply it).
- ``QuietRobotsTxtMiddleware``: Scrapy's robots.txt handling, without a traceback for
  a robots.txt that failed on DNS (the line above says it).
"""
from __future__ import annotations

import logging
import time
from datetime import datetime, timezone
from email.utils import parsedate_to_datetime
from typing import Any
from urllib.parse import urlsplit

from scrapy import Request, signals
from scrapy.crawler import Crawler
from scrapy.downloadermiddlewares.retry import RetryMiddleware
from scrapy.downloadermiddlewares.robotstxt import RobotsTxtMiddleware
from scrapy.exceptions import CannotResolveHostError, IgnoreRequest, NotConfigured
from scrapy.http import Response
from twisted.internet.error import DNSLookupError

from newscrawl.crawl.meta import PAGE_KIND
from newscrawl.crawl.waits import NOT_BEFORE, Parked, Waits
from newscrawl.internals import engine_of, hold_host_delay, quiet_scrapy_log, unquiet_scrapy_log
from newscrawl.pages.challenge import challenge_edge

logger = logging.getLogger(__name__)
# A host name that does not resolve, as Scrapy's download handlers and Twisted raise it.
UNRESOLVED = (CannotResolveHostError, DNSLookupError)


def retry_after_seconds(value: bytes | str | None, now: datetime | None = None) -> float | None:
    """Seconds a ``Retry-After`` header asks for (delta-seconds or an HTTP date), or None.

    >>> retry_after_seconds(b"7")
    7.0
    >>> retry_after_seconds("Wed, 25 Nov 2026 10:00:30 GMT", now=datetime(2026, 11, 25, 10, 0, tzinfo=timezone.utc))
    30.0
    >>> retry_after_seconds("soon") is None
    True
    """
    if value is None:
        return None
    text = value.decode("latin-1") if isinstance(value, bytes) else value
    text = text.strip()
    if text.isdigit():
        return float(text)
    try:
        when = parsedate_to_datetime(text)
    except (TypeError, ValueError):
        return None
    return max(0.0, (when - (now or datetime.now(timezone.utc))).total_seconds())


class BackoffRetryMiddleware(RetryMiddleware):
    """Scrapy's retries, each after a wait: ``base * 2**n`` seconds, or what Retry-After says
    (and the whole host then waits). The waiting requests are parked outside the downloader
    (newscrawl/crawl/waits.py): other hosts go on meanwhile."""

    def __init__(self, settings, crawler: Crawler | None = None) -> None:
        super().__init__(settings)
        self.base = settings.getfloat("NEWSCRAWL_RETRY_BACKOFF_BASE")
        self.max_backoff = settings.getfloat("NEWSCRAWL_RETRY_BACKOFF_MAX")
        self.max_retry_after = settings.getfloat("NEWSCRAWL_RETRY_AFTER_MAX")
        self.waits = Waits(crawler) if crawler is not None else None

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> "BackoffRetryMiddleware":
        middleware = cls(crawler.settings, crawler)
        middleware.crawler = crawler
        return middleware

    def process_request(self, request: Request) -> None:
        if self.waits is not None and not request.meta.get("dont_obey_robotstxt") \
                and (seconds := self.waits.due(request)) > 0:
            self.waits.park(request, seconds)  # raises Parked

    def process_response(self, request: Request, response: Response) -> Request | Response:
        outcome = super().process_response(request, response)
        if isinstance(outcome, Request):
            self._wait(outcome, request, response)
        return outcome

    def process_exception(self, request: Request, exception: Exception) -> Request | Response | None:
        if isinstance(exception, Parked):
            return None
        outcome = super().process_exception(request, exception)
        if isinstance(outcome, Request):
            self._wait(outcome, request, None)
        return outcome

    def _wait(self, retry: Request, request: Request, response: Response | None) -> None:
        """When the retry may go: after its backoff, or after the host's Retry-After."""
        stats = self.crawler.stats
        delay = min(self.max_backoff, self.base * 2 ** request.meta.get("retry_times", 0))
        asked = retry_after_seconds(response.headers.get("Retry-After")) if response is not None else None
        if response is not None and response.status == 429:
            stats.inc_value("newscrawl/throttled/429")
        if asked is not None:
            delay = min(asked, self.max_retry_after)
            stats.inc_value("newscrawl/throttled/retry_after")
            if asked > self.max_retry_after:
                stats.inc_value("newscrawl/throttled/retry_after_capped")
            if self.waits is not None:
                self.waits.pause(request.url, delay)
        stats.inc_value("newscrawl/retries/wait_seconds", round(delay, 3))
        retry.meta[NOT_BEFORE] = time.monotonic() + delay


class BlockedHostMiddleware:
    """After N 403s in a row from a host, or a DNS failure that outlived the retries,
    requests to it are dropped (and counted)."""

    def __init__(self, crawler: Crawler, threshold: int) -> None:
        self.stats = crawler.stats
        self.threshold = threshold
        self.in_a_row: dict[str, int] = {}
        self.blocked: set[str] = set()
        self.unreachable: set[str] = set()

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> "BlockedHostMiddleware":
        return cls(crawler, crawler.settings.getint("NEWSCRAWL_BLOCKED_AFTER"))

    def process_request(self, request: Request) -> None:
        host = urlsplit(request.url).netloc
        if host in self.blocked:
            self.stats.inc_value("newscrawl/skipped/blocked_host")
            raise IgnoreRequest(f"{host} refuses us (HTTP 403); not requested this run")
        if host in self.unreachable:
            self.stats.inc_value("newscrawl/skipped/unreachable_host")
            raise IgnoreRequest(f"DNS lookup failed for {host}; not requested this run")

    def process_exception(self, request: Request, exception: Exception) -> None:
        """Called once Scrapy's retries gave up (this middleware sits before them)."""
        parts = urlsplit(request.url)
        if isinstance(exception, UNRESOLVED) and parts.netloc not in self.unreachable:
            self.unreachable.add(parts.netloc)
            self.stats.set_value(f"newscrawl/dns_failed/{parts.hostname}", 1)
            logger.error("DNS lookup failed for %s: is this machine online? No more requests to it "
                         "this run", parts.hostname)

    def process_response(self, request: Request, response: Response) -> Response:
        """A 403 or 429 (after the retries) is a refusal; a CDN's challenge page, whatever its
        status, is one too and never reaches the spider (it is not the site's page)."""
        host = urlsplit(request.url).netloc
        kind = request.meta.get(PAGE_KIND, "other")
        edge = challenge_edge(response.status, response.headers, response.body)
        if edge is None and response.status not in (403, 429):
            self.in_a_row[host] = 0
            return response
        self._note_refusal(request, response, kind, edge)
        if edge is None and response.status == 429:
            return response  # a request to slow down, not a refusal of us
        self.in_a_row[host] = self.in_a_row.get(host, 0) + 1
        if self.in_a_row[host] >= self.threshold and host not in self.blocked:
            self.blocked.add(host)
            self.stats.inc_value("newscrawl/blocked_hosts")
            logger.error("%s answered %s to %d requests in a row: it refuses us; no more requests to it "
                         "this run", host, f"with the {edge} challenge" if edge else "403", self.in_a_row[host])
        if edge is not None:
            raise IgnoreRequest(f"{request.url}: the {edge} edge answered with a challenge page, not the page")
        return response

    def _note_refusal(self, request: Request, response: Response, kind: str, challenge: str | None) -> None:
        """What was refused (counted per kind of page), which User-Agent, and by which CDN
        edge if its headers or its challenge say so: the report's problem line names them
        (an edge refuses by User-Agent, a site rarely)."""
        self.stats.inc_value(f"newscrawl/refused/{kind}")
        agent = request.headers.get("User-Agent") or b""
        self.stats.set_value("newscrawl/refused/user_agent", agent.decode("latin-1"))
        if challenge is not None:
            self.stats.inc_value("newscrawl/challenged")
            self.stats.set_value("newscrawl/challenged/edge", challenge)
            if not self.stats.get_value(f"newscrawl/challenged/{kind}"):
                logger.error("%s: the %s edge answered with a challenge page (HTTP %d), not the page: "
                             "it doubts this client", request.url, challenge, response.status)
            self.stats.inc_value(f"newscrawl/challenged/{kind}")
        if edge := challenge or cdn_edge(response.headers):
            self.stats.set_value("newscrawl/refused/edge", edge)


# Headers by which a CDN edge shows itself in its answers.
_EDGE_HEADERS = (("x-amz-cf-id", "CloudFront"), ("cf-ray", "Cloudflare"), ("x-akamai-request-id", "Akamai"),
                 ("x-fastly-request-id", "Fastly"))
_EDGE_SERVERS = {"cloudfront": "CloudFront", "cloudflare": "Cloudflare", "akamaighost": "Akamai"}


def cdn_edge(headers: Any) -> str | None:
    """The CDN whose edge answered, from its headers, or None.

    >>> from scrapy.http import Headers
    >>> cdn_edge(Headers({"Server": "CloudFront", "X-Cache": "Error from cloudfront"}))
    'CloudFront'
    >>> cdn_edge(Headers({"CF-RAY": "8f1c2d3e4f-SIN"})), cdn_edge(Headers({"Server": "nginx"}))
    ('Cloudflare', None)
    """
    server = (headers.get("Server") or b"").decode("latin-1").lower()
    for name, edge in _EDGE_SERVERS.items():
        if name in server:
            return edge
    return next((edge for header, edge in _EDGE_HEADERS if headers.get(header)), None)


class AllowedHostsMiddleware:
    """Drops (and counts) every request to a host outside the network and the ``-a urls``
    hosts, whatever its ``dont_filter``: a redirect of page 2 to another site must not
    merge that site's text into the article (its errback counts the page as failed)."""

    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler
        self.told: set[str] = set()

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> "AllowedHostsMiddleware":
        return cls(crawler)

    def process_request(self, request: Request) -> None:
        allowed = getattr(self.crawler.spider, "allows", None)
        if allowed is None or allowed(request.url):
            return
        netloc = urlsplit(request.url).netloc
        self.crawler.stats.inc_value("newscrawl/skipped/offsite")
        if netloc not in self.told:
            self.told.add(netloc)
            logger.info("Not requesting %s: %s is outside the network and the -a urls hosts",
                        request.url, netloc)
        raise IgnoreRequest(f"{netloc} is not an allowed host")


class CrawlDelayMiddleware:
    """Requests to a host whose robots.txt says ``Crawl-delay: N`` are at least N seconds
    apart (polite profile; at most ``NEWSCRAWL_CRAWL_DELAY_MAX``). AutoThrottle keeps
    adapting the delay, but never below N; the random jitter is off for that host."""

    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler
        settings = crawler.settings
        self.user_agent = settings.get("ROBOTSTXT_USER_AGENT") or settings.get("USER_AGENT")
        self.maximum = settings.getfloat("NEWSCRAWL_CRAWL_DELAY_MAX")
        self.delays: dict[str, float] = {}
        crawler.signals.connect(self.robots_parsed, signal=signals.robots_parsed)

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> "CrawlDelayMiddleware":
        if crawler.settings.get("NEWSCRAWL_PROFILE") != "polite" or not crawler.settings.getbool("ROBOTSTXT_OBEY"):
            raise NotConfigured
        return cls(crawler)

    def robots_parsed(self, robotparser: Any, request: Request) -> None:
        delay = robotparser.crawl_delay(self.user_agent)
        if delay:
            host = urlsplit(request.url).netloc
            self.delays[host] = min(float(delay), self.maximum)
            self.crawler.stats.set_value(f"newscrawl/crawl_delay/{urlsplit(request.url).hostname}", delay)
            logger.info("%s asks for %s s between requests (robots.txt Crawl-delay): obeyed", host, delay)

    def process_request(self, request: Request) -> None:
        self._hold_slot(request)

    def process_response(self, request: Request, response: Response) -> Response:
        self._hold_slot(request)  # after AutoThrottle adjusted the delay from this response
        return response

    def _hold_slot(self, request: Request) -> None:
        delay = self.delays.get(urlsplit(request.url).netloc)
        engine = engine_of(self.crawler)
        if delay is not None and engine is not None:
            hold_host_delay(engine, request, delay)


class QuietRobotsTxtMiddleware(RobotsTxtMiddleware):
    """Scrapy's RobotsTxtMiddleware, obeyed by every request, minus its traceback when
    robots.txt failed on DNS (BlockedHostMiddleware says that in one line per host).

    Scrapy 2.19 makes the requests that come while robots.txt is being fetched wait on one
    Deferred, which hands the parser to its first waiter only: every later one gets None
    and goes out unchecked (with 6 start URLs on a host that disallows us, 4 were
    requested). Each request here takes the parser of its host as parsed."""

    def __init__(self, crawler: Crawler) -> None:
        super().__init__(crawler)
        self._parsed: dict[str, Any] = {}  # netloc -> its parsed robots.txt
        self._filter = _NoUnresolvedHostTraceback()
        quiet_scrapy_log(RobotsTxtMiddleware.__module__, self._filter)
        crawler.signals.connect(self._robots_parsed, signal=signals.robots_parsed)
        crawler.signals.connect(self._remove_filter, signal=signals.engine_stopped)

    def _robots_parsed(self, robotparser: Any, request: Request) -> None:
        self._parsed[urlsplit(request.url).netloc] = robotparser

    async def robot_parser(self, request: Request) -> Any:
        parser = await super().robot_parser(request)
        return self._parsed.get(urlsplit(request.url).netloc, parser)

    def _remove_filter(self) -> None:
        unquiet_scrapy_log(RobotsTxtMiddleware.__module__, self._filter)


class _NoUnresolvedHostTraceback(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        error = record.exc_info[1] if record.exc_info else None
        return not isinstance(error, UNRESOLVED)
