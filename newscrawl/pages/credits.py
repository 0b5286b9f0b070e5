"""Who wrote an article: authors, editor and source, from the credit line a reader sees,
else JSON-LD and ``dataLayer``.

The credit line stands in ``#penulis``/``#editor`` (2020-26); on 2012-19 pages it is plain
lines labelled "Penulis:", "Reporter:" or "Editor:", found by their labels wherever they
stand.
"""
from __future__ import annotations

import re

from newscrawl.pages.sources import PageSources, ld_str, leading_text, text_of
from newscrawl.text.normalize import clean_text, split_authors, unique

_CREDIT_SPLIT = re.compile(r"\|?\s*\beditor\s*:", re.I)


def _credit_line(page: PageSources) -> str:
    """The credit line: ``#penulis`` (2020-26), else the first short text labelled
    "Penulis:" or "Reporter:" wherever it stands (2012-19: plain lines after the text)."""
    return text_of(page.by_id("penulis")) or _labelled(page, ("penulis", "reporter"))


_LABEL = re.compile(r"^(penulis|reporter|editor)\s*:", re.I)
_LABELLED_TAGS = ("div", "span", "p", "h5", "h6", "li", "td")
_LABEL_START = re.compile(r"\s*(penulis|reporter|editor)", re.I)


def _labelled(page: PageSources, labels: tuple[str, ...]) -> str:
    """The text of the first element that starts with one of these labels and is short,
    as credit lines are (a long one is a paragraph that happens to start so)."""
    lines = page.memo.get("credit labels")
    if lines is None:
        lines = page.memo["credit labels"] = _labelled_lines(page)
    return next((text for label, text in lines if label in labels), "")


def _labelled_lines(page: PageSources) -> list[tuple[str, str]]:
    """(label, text) of the first short element starting with an author label and of the
    first starting with "Editor:", in one walk over the page."""
    found: list[tuple[str, str]] = []
    kinds: set[bool] = set()  # True: editor, False: author
    for element in page.tree.iter(*_LABELLED_TAGS):
        if not _may_start_with_label(element):
            continue
        if (match := _LABEL.match(leading_text(element, 12))) and len(line := text_of(element)) <= 160:
            label = match.group(1).lower()
            if (label == "editor") not in kinds:
                kinds.add(label == "editor")
                found.append((label, line))
                if len(kinds) == 2:
                    break
    return found


def _may_start_with_label(element) -> bool:
    """False when the element's first text starts with something else, or when it has no
    text at all: most elements are ruled out without reading further."""
    first = _first_text(element)
    return first is None or bool(_LABEL_START.match(first))


def _first_text(element, budget: int = 12) -> str | None:
    """The first non-blank text inside the element, in document order ("" when it has
    none), or None when ``budget`` nodes did not tell (a deep nest: leading_text decides)."""
    node = element
    while budget:
        budget -= 1
        if isinstance(node.tag, str) and node.text and node.text.strip():
            return node.text  # a comment's text is no text
        if len(node):
            node = node[0]
            continue
        while node is not element:  # childless: its tail, then what follows it
            if node.tail and node.tail.strip():
                return node.tail
            if (following := node.getnext()) is not None:
                node = following
                break
            node = node.getparent()
        else:
            return ""
    return None


def credited_authors(page: PageSources) -> list[str]:
    """The credit line's names, else JSON-LD ``author``, else ``dataLayer``."""
    credit = _CREDIT_SPLIT.split(_credit_line(page))[0].strip(" |")
    if names := split_authors(credit):
        return names
    ld_author = page.article_ld.get("author")
    ld_names = [ld_str(a) for a in (ld_author if isinstance(ld_author, list) else [ld_author]) if a]
    if names := unique(n for name in ld_names if name for n in split_authors(name)):
        return names
    return split_authors(page.datalayer("penulis") or page.datalayer("author"))


def editor(page: PageSources) -> str | None:
    """``#editor``, else the credit line after "Editor:", else a line so labelled, else ``dataLayer``."""
    parts = _CREDIT_SPLIT.split(_credit_line(page))
    name = (text_of(page.by_id("editor")) or (parts[1] if len(parts) > 1 else "")
            or _labelled(page, ("editor",)))
    name = re.sub(r"^\s*editor\s*:\s*", "", clean_text(name), flags=re.I).strip(" |")
    return name or page.datalayer("editor") or None


def source(page: PageSources) -> str | None:
    """The "Sumber:" line beside the author and editor lines (2020 template), else ``dataLayer``."""
    credits = [e.getparent() for e in (page.by_id("penulis"), page.by_id("editor")) if e is not None]
    credit = next((d for box in credits if box is not None for d in box.iterchildren("div")
                   if leading_text(d).startswith("Sumber:")), None)
    if credit is not None:
        return text_of(credit.find(".//a")) or re.sub(r"^Sumber:\s*", "", text_of(credit)) or None
    return page.datalayer("source") or None
