"""Pipelines, called through process_item as the engine calls them."""
from __future__ import annotations

from datetime import datetime

from newscrawl.items import Article
from newscrawl.pipelines import DerivedFieldsPipeline


def test_derived_fields_are_filled_from_the_body():
    item = DerivedFieldsPipeline().process_item(Article(url="https://x.tribunnews.com/2020/01/01/a",
                                                        body="Satu dua tiga.\n\nEmpat."))
    assert item.word_count == 4
    assert len(item.content_hash) == 64
    assert datetime.fromisoformat(item.crawled_at).utcoffset().total_seconds() == 0


def test_an_item_without_body_gets_no_hash():
    item = DerivedFieldsPipeline().process_item(Article(url="https://x.tribunnews.com/2020/01/01/a"))
    assert (item.word_count, item.content_hash) == (0, None)
