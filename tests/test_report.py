"""The run verdict from stats: each rule, and the evidence it needs."""
from __future__ import annotations

import pytest

from newscrawl.report import Thresholds, judge

LIMITS = Thresholds()


@pytest.mark.parametrize("stats, verdict", [
    ({}, "ok"),
    ({"finish_reason": "finished", "newscrawl/articles/known": 40, "downloader/request_count": 4}, "ok"),
    ({"finish_reason": "shutdown"}, "interrupted"),
    ({"downloader/request_count": 10, "downloader/exception_count": 9}, "failed"),
    ({"downloader/request_count": 10, "downloader/response_status_count/429": 9}, "blocked"),
    ({"downloader/request_count": 4, "downloader/exception_count": 4}, "ok"),  # too little evidence
    ({"newscrawl/articles/fetched": 10, "newscrawl/dropped/invalid": 6, "newscrawl/dropped/missing_body": 6},
     "site_changed"),
    ({"newscrawl/articles/fetched": 10, "newscrawl/dropped/invalid": 4}, "ok"),
    ({"newscrawl/articles/multi_page": 10, "newscrawl/articles/incomplete": 6}, "site_changed"),
    ({"newscrawl/articles/multi_page": 10, "newscrawl/articles/incomplete": 6, "newscrawl/pages/failed": 6}, "ok"),
    ({"newscrawl/listings/parsed": 3, "newscrawl/listings/empty": 3}, "site_changed"),
    ({"newscrawl/listings/parsed": 3, "newscrawl/listings/empty": 3, "newscrawl/articles/discovered": 1}, "ok"),
    ({"finish_reason": "output_error"}, "failed"),
    ({"newscrawl/blocked_hosts": 1}, "blocked"),
])
def test_verdicts(stats, verdict):
    judgement = judge(stats, LIMITS)
    assert judgement.verdict == verdict
    assert bool(judgement.problems) == (verdict != "ok")


def test_every_problem_is_reported_the_first_decides():
    judgement = judge({"finish_reason": "shutdown", "newscrawl/listings/parsed": 1,
                       "newscrawl/listings/empty": 1}, LIMITS)
    assert judgement.verdict == "interrupted" and len(judgement.problems) == 2
