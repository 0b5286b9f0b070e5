"""The ``request.meta`` keys newscrawl sets, in one place: the spider sets them, the archive
writer, the replay and the verdict's counts read them."""

# What a request fetches: "article" (page 1), "page" (2..N), "listing", "sitemap".
PAGE_KIND = "page_kind"
# The run's entry points (sitemaps, index pages, -a urls, a replay's articles): a run in
# which every one of them failed found nothing to crawl, whatever else it requested.
ENTRY = "newscrawl_entry"
# A replay: the moment whose captures answer (an article's later versions), the date of the
# capture that answered (live: the WARC-Date the archive gave the response), and the dates
# of an article's later captures still to replay.
CAPTURE_AT = "newscrawl_capture_at"
CAPTURED = "newscrawl_captured"
LATER_CAPTURES = "newscrawl_later_captures"
