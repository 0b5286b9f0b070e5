"""One page's record: every item field the page yields alone, plus its page number and the
URLs of all pages of its article (what `python -m newscrawl.extract` prints, and what a
fixture's expected ``.json`` holds)."""
from __future__ import annotations

from dataclasses import asdict

from newscrawl.items import CAPTURE_FIELDS, VERSION_FIELDS, Article
from newscrawl.pages.article import extract_article
from newscrawl.text.normalize import content_hash, join_paragraphs, word_count


def page_record(html: str | bytes, url: str) -> dict:
    """The JSON-ready record of one page: item fields, then page_number and page_urls."""
    page = extract_article(html, url)
    body = join_paragraphs(page.paragraphs) or None
    item = Article(**page.fields, body=body, page_count=page.page_count,
                   complete=page.page_count == 1 and page.fields.get("free_access") is not False,
                   word_count=word_count(body), content_hash=content_hash(body))
    fields = {k: v for k, v in asdict(item).items() if k not in VERSION_FIELDS + CAPTURE_FIELDS}
    return {**fields, "page_number": page.page_number, "page_urls": page.page_urls}
