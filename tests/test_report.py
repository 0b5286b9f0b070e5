"""The run verdict from stats: each rule, and the evidence it needs."""
from __future__ import annotations

import pytest

from newscrawl.run.report import Thresholds, judge

LIMITS = Thresholds()


@pytest.mark.parametrize("stats, verdict", [
    ({}, "ok"),
    ({"finish_reason": "finished", "newscrawl/articles/known": 40, "downloader/request_count": 4}, "ok"),
    ({"finish_reason": "shutdown"}, "interrupted"),
    ({"downloader/request_count": 10, "downloader/exception_count": 9}, "failed"),
    ({"downloader/request_count": 10, "downloader/response_status_count/429": 9}, "blocked"),
    # The minimum evidence (5 requests) guards the share only where a request worked.
    ({"downloader/request_count": 4, "downloader/exception_count": 3}, "ok"),
    ({"downloader/request_count": 4, "downloader/exception_count": 4}, "failed"),
    # Refused is never ok, however few the requests: robots.txt and a sitemap, both 403 ...
    ({"downloader/request_count": 2, "downloader/response_status_count/403": 2}, "blocked"),
    # ... robots.txt answered, both articles refused ...
    ({"downloader/request_count": 3, "downloader/response_status_count/200": 1,
      "downloader/response_status_count/403": 2}, "blocked"),
    # ... and a run whose every entry point failed found nothing to crawl.
    ({"downloader/request_count": 3, "downloader/response_status_count/200": 1,
      "downloader/response_status_count/404": 2, "newscrawl/entry_points/requested": 2,
      "newscrawl/entry_points/failed": 2}, "failed"),
    ({"downloader/request_count": 3, "downloader/response_status_count/200": 2,
      "downloader/response_status_count/404": 1, "newscrawl/entry_points/requested": 2,
      "newscrawl/entry_points/ok": 1, "newscrawl/entry_points/failed": 1}, "ok"),
    ({"newscrawl/articles/fetched": 10, "newscrawl/dropped/invalid": 6, "newscrawl/dropped/missing_body": 6},
     "site_changed"),
    ({"newscrawl/articles/fetched": 10, "newscrawl/dropped/invalid": 4}, "ok"),
    ({"newscrawl/articles/multi_page": 10, "newscrawl/articles/incomplete": 6}, "site_changed"),
    ({"newscrawl/articles/multi_page": 10, "newscrawl/articles/incomplete": 6, "newscrawl/pages/failed": 6}, "ok"),
    ({"newscrawl/listings/parsed": 3, "newscrawl/listings/empty": 3}, "site_changed"),
    ({"newscrawl/listings/parsed": 3, "newscrawl/listings/empty": 3, "newscrawl/articles/discovered": 1}, "ok"),
    ({"finish_reason": "output_error"}, "failed"),
    ({"newscrawl/blocked_hosts": 1}, "blocked"),
    ({"spider_exceptions/count": 1, "spider_exceptions/AttributeError": 1}, "errors"),
    ({"newscrawl/errors/item": 2}, "errors"),
    ({"newscrawl/state/record_failed": 3}, "errors"),
    ({"newscrawl/state/files_failed": 1, "newscrawl/state/not_recorded": 4}, "failed"),  # a feed or the archive incomplete
    ({"newscrawl/dns_failed/www.tribunnews.com": 1}, "failed"),
])
def test_verdicts(stats, verdict):
    judgement = judge(stats, LIMITS)
    assert judgement.verdict == verdict
    assert bool(judgement.problems) == (verdict != "ok")


def test_every_problem_is_reported_the_first_decides():
    judgement = judge({"finish_reason": "shutdown", "newscrawl/listings/parsed": 1,
                       "newscrawl/listings/empty": 1}, LIMITS)
    assert judgement.verdict == "interrupted" and len(judgement.problems) == 2


def test_an_exception_names_its_type_even_in_a_run_of_two_requests():
    # The JOBDIR failure: 2 requests, one AttributeError, 0 articles; was judged ok.
    judgement = judge({"downloader/request_count": 2, "spider_exceptions/count": 1,
                       "spider_exceptions/AttributeError": 1}, LIMITS)
    assert judgement.verdict == "errors"
    assert judgement.problems == ["1 exception(s) in the spider's callbacks (AttributeError: 1): "
                                  "see the ERROR lines of the log"]


def test_a_refusing_cdn_edge_is_named_with_the_user_agent_it_refused():
    judgement = judge({"downloader/request_count": 2, "downloader/response_status_count/403": 2,
                       "newscrawl/entry_points/requested": 1, "newscrawl/entry_points/failed": 1,
                       "newscrawl/refused/edge": "CloudFront", "newscrawl/refused/user_agent": "curl/8.5.0"}, LIMITS)
    assert judgement.verdict == "blocked"
    [problem] = judgement.problems
    assert problem.startswith("2 of 2 requests failed (HTTP 403: 2); every entry point failed (1 of 1")
    assert "the CloudFront edge answered 403 to the User-Agent 'curl/8.5.0'" in problem
    assert "default USER_AGENT" in problem
