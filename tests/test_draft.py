"""Merging the pages of an article, and the guards against bad pagination."""
from __future__ import annotations

from newscrawl.crawl.draft import ADDED, REPEATED, WRONG_NUMBER, ArticleDraft
from newscrawl.pages import ArticlePage

URL = "https://www.tribunnews.com/nasional/2020/05/04/judul"


def page(number: int, count: int, *paragraphs: str, related: tuple[str, ...] = ()) -> ArticlePage:
    return ArticlePage(url=URL, page_number=number,
                       page_count=count,
                       fields={"url": URL, "title": "Judul", "related_urls": list(related)},
                       paragraphs=list(paragraphs))


def test_pages_merge_in_order_dropping_the_repeated_paragraph():
    draft = ArticleDraft.start(page(1, 3, "a", "b", related=("r1",)), max_pages=50)
    assert draft.next_number() == 2
    assert draft.add(2, page(2, 3, "b", "c", related=("r1", "r2"))) == ADDED
    assert draft.next_number() == 3
    draft.add(3, page(3, 3, "d"))
    assert draft.next_number() is None
    item = draft.to_item()
    assert item.body == "a\n\nb\n\nc\n\nd"
    assert (item.page_count, item.complete, item.related_urls) == (3, True, ["r1", "r2"])


def test_a_failed_page_is_skipped_and_the_item_marked_incomplete():
    draft = ArticleDraft.start(page(1, 4, "a"), max_pages=50)
    draft.add(2, page(2, 4, "b"))
    draft.fail(3)
    assert draft.next_number() == 4
    draft.add(4, page(4, 4, "d"))
    item = draft.to_item()
    assert (item.body, item.page_count, item.complete) == ("a\n\nb\n\nd", 4, False)


def test_a_count_in_the_hundreds_is_capped():
    draft = ArticleDraft.start(page(1, 999, "a"), max_pages=3)
    assert draft.capped
    draft.add(2, page(2, 999, "b"))
    draft.add(3, page(3, 999, "c"))
    assert draft.next_number() is None
    item = draft.to_item()
    assert (item.page_count, item.complete) == (999, False)


def test_a_page_that_repeats_an_earlier_page_stops_the_pagination():
    draft = ArticleDraft.start(page(1, 5, "a"), max_pages=50)
    draft.add(2, page(2, 5, "b"))
    assert draft.add(3, page(3, 5, "b")) == REPEATED  # page 3 serves page 2 again
    assert draft.next_number() is None
    assert draft.to_item().body == "a\n\nb"


def test_a_page_that_shows_another_number_is_refused():
    # ?page=2 answered by page 1 (a redirect back, or a loop): refused, paging stops.
    draft = ArticleDraft.start(page(1, 3, "a"), max_pages=50)
    assert draft.add(2, page(1, 3, "other text")) == WRONG_NUMBER
    assert draft.next_number() is None and not draft.to_item().complete


def test_a_later_page_announcing_more_pages_extends_the_count():
    # Page 1 linked only to page 2; page 2 reveals 3 pages (a count that disagrees).
    draft = ArticleDraft.start(page(1, 2, "a"), max_pages=50)
    draft.add(2, page(2, 3, "b"))
    assert draft.next_number() == 3
    assert draft.page_count == 3


def test_the_same_page_is_never_asked_for_twice():
    draft = ArticleDraft.start(page(1, 3, "a"), max_pages=50)
    draft.add(2, page(2, 3, "b"))
    draft.fail(3)
    assert draft.next_number() is None
