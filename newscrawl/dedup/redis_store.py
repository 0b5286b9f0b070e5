"""The store of exported articles in Redis (distributed mode): every worker and run shares it.

The same interface as the SQLite store (newscrawl/dedup/store.py): a set of article keys,
each article's latest version, and the banded SimHash index of near-duplicates.
"""
from __future__ import annotations

import json
from typing import Iterable
from urllib.parse import urlsplit

from newscrawl.dedup.store import Capture, ExportedArticle, Version, capture_key
from newscrawl.text.simhash import UNKNOWN, Copy, bands, earliest, hamming

# A Redis that stopped answering must not hang a worker: every call gives up after this.
SOCKET_TIMEOUT = 5.0


def connect(url: str):
    import redis

    return redis.Redis.from_url(url, socket_timeout=SOCKET_TIMEOUT, socket_connect_timeout=SOCKET_TIMEOUT)


def check_reachable(url: str) -> None:
    """Raise ConnectionError, one line naming the server, when Redis does not answer."""
    import redis

    try:
        connect(url).ping()
    except redis.RedisError as error:
        raise ConnectionError(f"cannot reach Redis at {where(url)}: {error}") from None


def where(url: str) -> str:
    """host:port/db of a Redis URL, without its password."""
    parts = urlsplit(url)
    return f"{parts.hostname}:{parts.port or 6379}{parts.path or '/0'}"


class RedisArticleStore:
    """Exported articles of all workers and runs, in Redis: a set of keys, banded SimHashes."""

    shared = True

    def __init__(self, server, prefix: str = "newscrawl") -> None:
        self.server = server
        self.exported = f"{prefix}:exported"
        self.versions = f"{prefix}:versions"
        self.captures = f"{prefix}:captures"
        self.page_all = f"{prefix}:page_all"
        self.band = f"{prefix}:band:%d"

    def knows(self, keys: Iterable[int]) -> bool:
        keys = list(keys)
        return bool(keys) and any(self.server.smismember(self.exported, keys))

    def near_duplicate_of(self, simhash: int, max_distance: int) -> Copy | None:
        """The earliest-published body of any worker within ``max_distance`` bits, or None."""
        pipe = self.server.pipeline()
        for band in bands(simhash):
            pipe.smembers(self.band % band)
        matches = []
        for members in pipe.execute():
            for member in sorted(members):
                other, url, *published = member.decode().split(" ")
                if hamming(simhash, int(other)) <= max_distance:
                    matches.append(Copy(url, int(published[0]) if published else UNKNOWN))
        return earliest(matches)

    def add_fingerprint(self, simhash: int, url: str, published: int | None = None) -> None:
        """Index a body at once, so every worker sees it (even before it is exported)."""
        member = f"{simhash} {url}" if published is None else f"{simhash} {url} {published}"
        pipe = self.server.pipeline()
        for band in bands(simhash):
            pipe.sadd(self.band % band, member)
        pipe.execute()

    def record(self, articles: Iterable[ExportedArticle]) -> int:
        articles = list(articles)
        keys = [k for article in articles for k in article.keys]
        versions = {article.keys[0]: json.dumps(article.version) for article in articles if article.version}
        pipe = self.server.pipeline()  # one transaction: keys and versions together
        if keys:
            pipe.sadd(self.exported, *keys)
        if versions:
            pipe.hset(self.versions, mapping=versions)
        pipe.execute()
        return len(articles)

    def latest_version(self, key: int) -> Version | None:
        """The latest exported version of the article with this URL key, or None."""
        stored = self.server.hget(self.versions, key)
        return Version(**json.loads(stored)) if stored else None

    def touch(self, key: int, fetched: int, lastmod: int | None) -> None:
        """An unchanged revisit: when it was fetched, the lastmod it had."""
        version = self.latest_version(key)
        if version is not None:
            version.fetched, version.lastmod = fetched, version.lastmod if lastmod is None else lastmod
            self.server.hset(self.versions, key, json.dumps(vars(version)))

    def last_capture(self, url: str) -> Capture | None:
        """The last full capture of this URL that a committed run of any worker archived."""
        stored = self.server.hget(self.captures, capture_key(url))
        return Capture(*json.loads(stored)) if stored else None

    def record_captures(self, captures: Iterable[Capture]) -> None:
        mapping = {capture_key(c.url): json.dumps(list(c)) for c in captures}
        if mapping:
            self.server.hset(self.captures, mapping=mapping)

    def page_all_of(self, site: str) -> tuple[int, str | None] | None:
        """What a site's ?page=all view proved, to any worker (newscrawl/crawl/page_all.py)."""
        stored = self.server.hget(self.page_all, site)
        return tuple(json.loads(stored)) if stored else None

    def set_page_all(self, site: str, proofs: int, refused: str | None) -> None:
        self.server.hset(self.page_all, site, json.dumps([proofs, refused]))

    def count(self) -> int:
        return self.server.scard(self.exported)

    def close(self) -> None:
        pass  # the connection pool closes with the process
