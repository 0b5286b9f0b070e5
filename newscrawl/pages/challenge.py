"""Is this answer a CDN's bot challenge instead of the page? Pure: status, headers, body in.

Edges that doubt a client do not always refuse it with a 403: they serve a challenge page
(a script the browser must run, a captcha) with status 200, 202 or 403. Taken for the
site, such a page is an article without a title, a sitemap without URLs, an index without
links: the run would blame the markup. The markers below are the ones the challenges carry
and ordinary pages do not (Cloudflare's ``/cdn-cgi/challenge-platform/`` script alone is
not one: Cloudflare injects it into ordinary pages too).
"""
from __future__ import annotations

from typing import Any

# (marker in the first bytes of the body, the edge that serves it).
_BODY_MARKERS = (
    (b"awsWafCookieDomainList", "AWS WAF"),
    (b"AwsWafIntegration.", "AWS WAF"),
    (b"window.gokuProps", "AWS WAF"),
    (b"window._cf_chl_opt", "Cloudflare"),
    (b"cf_chl_opt", "Cloudflare"),
    (b"<title>Just a moment...</title>", "Cloudflare"),
    (b"<title>Attention Required! | Cloudflare</title>", "Cloudflare"),
    (b"captcha-delivery.com", "DataDome"),
    (b"_Incapsula_Resource", "Imperva"),
    (b"/_sec/cp_challenge/", "Akamai"),
)
# Challenge pages are small; a page of this size or more is the site's own.
_SCAN_BYTES = 64 * 1024


def challenge_edge(status: int, headers: Any, body: bytes) -> str | None:
    """The edge whose challenge this answer is, or None for an answer of the site.

    >>> from scrapy.http import Headers
    >>> challenge_edge(202, Headers({"Server": "awselb/2.0"}), b"")
    'AWS WAF'
    >>> challenge_edge(200, Headers({"cf-mitigated": "challenge"}), b"<html>...</html>")
    'Cloudflare'
    >>> challenge_edge(200, Headers(), b"<script>window.awsWafCookieDomainList = [];</script>")
    'AWS WAF'
    >>> challenge_edge(200, Headers(), b"<html><h1 id='arttitle'>Judul</h1></html>") is None
    True
    """
    if (headers.get("x-amzn-waf-action") or b"").lower() in (b"challenge", b"captcha"):
        return "AWS WAF"
    if (headers.get("cf-mitigated") or b"").lower() == b"challenge":
        return "Cloudflare"
    if status == 202 and not body.strip():
        return "AWS WAF"  # its silent challenge: 202, an empty body and a cookie to come back with
    if len(body) >= _SCAN_BYTES:
        return None
    return next((edge for marker, edge in _BODY_MARKERS if marker in body), None)
