"""Extensions that other components look up, by their class, in the running crawl."""
from __future__ import annotations

from typing import Any


class Findable:
    """An extension that other components look up with ``TheClass.of(crawler)``."""

    @classmethod
    def of(cls, crawler: Any) -> Any:
        """The crawl's instance of this extension if enabled (None before the crawl starts)."""
        try:
            return crawler.get_extension(cls)
        except RuntimeError:  # the extension manager does not exist yet
            return None
