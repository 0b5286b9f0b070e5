"""Item pipelines: small classes, one job each."""
from __future__ import annotations

from datetime import datetime, timezone

from newscrawl.items import Article
from newscrawl.normalize import content_hash, word_count


class DerivedFieldsPipeline:
    """Fill the fields computed from others: word count, content hash, crawl time (UTC)."""

    def process_item(self, item: Article) -> Article:
        item.word_count = word_count(item.body)
        item.content_hash = content_hash(item.body)
        item.crawled_at = datetime.now(timezone.utc).replace(microsecond=0).isoformat()
        return item
