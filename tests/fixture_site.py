"""A local copy of the Tribun network for tests: one HTTP server per fixture host.

``tests/fixtures/site/<host>/<path>`` is served at ``http://127.0.0.1:<port>/<path>``;
a query string maps to ``<path>__<query>.html`` (``slug?page=2`` -> ``slug__page=2.html``)
and a path without an extension to ``<path>.html``. Absolute links to any served host
(``https://www.tribunnews.com/...``) are rewritten to that host's local server, so a
crawl never leaves 127.0.0.1.

``faults`` maps a real URL to how it misbehaves: an HTTP status; ``"reset"`` (connection
reset), ``"timeout"`` (no answer for ``hang`` seconds), ``"truncate"`` (the body cut
mid-transfer), ``"empty"`` (a 0-byte 200), ``"pdf"`` (not HTML), ``"huge"`` (a 20 MB page);
``("redirect", url)``, ``("retry-after", value)`` (a 429 with that header),
``("content-type", value)`` (the file under another Content-Type header),
``("aws-waf", status)`` (AWS WAF's challenge: its script, or with 202 an empty body),
``("cloudflare", status)`` (Cloudflare's "Just a moment..." with ``cf-mitigated``),
``"edge-403"`` (the CloudFront refusal page and headers, whatever the User-Agent). A list
is used up one entry per request, then the page is served normally.

``edge=True`` acts like Tribun's CloudFront edge as observed on 2026-07-24
(docs/field-reference.md section 7): HTTP 403, with CloudFront's headers, on every path
(robots.txt included) to a User-Agent that is not browser-shaped or that contains "bot".
"""
from __future__ import annotations

import socket
import struct
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

FIXTURE_ROOT = Path(__file__).parent / "fixtures" / "site"
_TYPES = {".html": "text/html; charset=utf-8", ".xml": "application/xml; charset=utf-8",
          ".txt": "text/plain; charset=utf-8"}


def fixture_file(root: Path, host: str, path: str, query: str) -> Path:
    """The file that answers ``path?query`` on ``host``."""
    path = path.strip("/") or "index"
    if query:
        path = f"{path}__{query}"
    candidate = root / host / path
    return candidate if candidate.suffix in _TYPES else candidate.with_name(candidate.name + ".html")


class Server(ThreadingHTTPServer):
    """The standard library's server with a listen backlog a crawl cannot fill: with its
    default of 5, connections the crawl opens in a burst were dropped and retried by the
    kernel a second later (measured: gaps of 1 s, a 100-article crawl 2-3x slower)."""

    request_queue_size = 128


# What the edge answers a refused request with (an S3/CloudFront error page's shape).
EDGE_REFUSAL = (b"<HTML><HEAD><TITLE>ERROR: The request could not be satisfied</TITLE></HEAD><BODY>"
                b"<H1>403 ERROR</H1><H2>The request could not be satisfied.</H2>Request blocked.</BODY></HTML>")
EDGE_HEADERS = {"Server": "CloudFront", "X-Cache": "Error from cloudfront",
                "X-Amz-Cf-Pop": "SIN2-P1", "X-Amz-Cf-Id": "k3Jx9Xb2example=="}
# The challenges of 2026's edges, in their public shapes: AWS WAF's interstitial (a script
# that sets the token cookie, then reloads) and Cloudflare's managed challenge.
AWS_WAF_CHALLENGE = (b'<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title></title>'
                     b'<script>window.awsWafCookieDomainList = [];window.gokuProps = {"key":"AQID","iv":"A6we",'
                     b'"context":"x"};</script><script src="https://4e4c.edge.sdk.awswaf.com/4e4c/challenge.js">'
                     b'</script></head><body><div id="challenge-container"></div><script>'
                     b'AwsWafIntegration.saveReferrer();AwsWafIntegration.checkForceRefresh().then(function(r)'
                     b'{if(r){window.location.reload(true);}});</script><noscript><h1>JavaScript is disabled'
                     b'</h1></noscript></body></html>')
CLOUDFLARE_CHALLENGE = (b'<!DOCTYPE html><html lang="en-US"><head><title>Just a moment...</title>'
                        b'<meta http-equiv="refresh" content="390"></head><body><div class="main-wrapper">'
                        b'<noscript>Enable JavaScript and cookies to continue</noscript></div><script>'
                        b'(function(){window._cf_chl_opt={cvId:"3",cZone:"www.tribunnews.com",cType:"managed"};'
                        b'var a=document.createElement("script");a.src="/cdn-cgi/challenge-platform/h/g/orchestrate/'
                        b'chl_page/v1";document.getElementsByTagName("head")[0].appendChild(a);}());</script>'
                        b'</body></html>')


def browser_shaped(agent: str) -> bool:
    """What the edge let through: a browser-shaped string (a crawler's token appended is
    fine), never one containing "bot"."""
    return agent.startswith("Mozilla/5.0 (") and "bot" not in agent.lower()


class FixtureSite:
    """Start with ``with FixtureSite() as site:``; ``site.url(real_url)`` gives the local URL."""

    def __init__(self, root: Path = FIXTURE_ROOT, faults: dict[str, Any] | None = None,
                 delay: float = 0.0, hang: float = 3.0, edge: bool = False) -> None:
        self.root = root
        self.delay = delay  # seconds before each answer: a slow site, for kill tests
        self.hang = hang  # how long a "timeout" fault keeps the client waiting
        self.edge = edge  # refuse non-browser User-Agents, as the CDN edge does
        self.refused = 0  # requests the edge refused
        self.hosts = sorted(p.name for p in root.iterdir() if p.is_dir())
        self.faults = dict(faults or {})  # real URL -> status to answer with
        self.requests: list[str] = []  # real URLs, in the order they were asked for
        self.times: list[float] = []  # time.monotonic() of each of them
        self.agents: list[str] = []  # and the User-Agent that asked
        self._servers: dict[str, ThreadingHTTPServer] = {}

    def __enter__(self) -> "FixtureSite":
        for host in self.hosts:
            server = Server(("127.0.0.1", 0), self._handler(host))
            server.daemon_threads = True
            threading.Thread(target=server.serve_forever, daemon=True).start()
            self._servers[host] = server
        return self

    def __exit__(self, *exc) -> None:
        for server in self._servers.values():
            server.shutdown()
            server.server_close()

    def base(self, host: str) -> str:
        return f"http://127.0.0.1:{self._servers[host].server_address[1]}"

    def url(self, real_url: str) -> str:
        """The local URL serving ``real_url``."""
        parts = urlsplit(real_url)
        return self.base(parts.hostname) + parts.path + (f"?{parts.query}" if parts.query else "")

    def real_url(self, local_url: str) -> str:
        """The network URL a local URL stands for."""
        for host in self.hosts:
            if local_url.startswith(self.base(host)):
                return "https://" + host + local_url[len(self.base(host)):]
        return local_url

    def next_fault(self, real_url: str) -> Any:
        fault = self.faults.get(real_url)
        if isinstance(fault, list):
            return fault.pop(0) if fault else None
        return fault

    def rewrite(self, content: bytes) -> bytes:
        for host in self.hosts:
            content = content.replace(f"https://{host}".encode(), self.base(host).encode())
        return content

    def _handler(self, host: str) -> type[BaseHTTPRequestHandler]:
        site = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                parts = urlsplit(self.path)
                real = f"https://{host}{self.path}"
                site.requests.append(real)
                site.times.append(time.monotonic())
                site.agents.append(self.headers.get("User-Agent", ""))
                if site.delay:
                    time.sleep(site.delay)
                if site.edge and not browser_shaped(self.headers.get("User-Agent", "")):
                    site.refused += 1
                    return self._send(403, EDGE_REFUSAL, headers=EDGE_HEADERS)
                fault = site.next_fault(real)
                file = fixture_file(site.root, host, parts.path, parts.query)
                content_type = _TYPES.get(file.suffix, _TYPES[".html"])
                if isinstance(fault, tuple) and fault[0] == "content-type":
                    fault, content_type = None, fault[1]
                if fault not in (None, 200):
                    return self._misbehave(fault)
                if not file.is_file():
                    return self._send(404, b"<html><body>Halaman tidak ditemukan</body></html>")
                self._send(200, site.rewrite(file.read_bytes()), content_type)

            def _misbehave(self, fault: Any) -> None:
                if isinstance(fault, int):
                    return self._send(fault, b"<html><body>error</body></html>")
                kind, value = fault if isinstance(fault, tuple) else (fault, None)
                if kind == "redirect":
                    return self._send(302, b"", headers={"Location": value})
                if kind == "retry-after":
                    return self._send(429, b"<html>slow down</html>", headers={"Retry-After": str(value)})
                if kind == "empty":
                    return self._send(200, b"")
                if kind == "aws-waf":
                    return self._send(value, b"" if value == 202 else AWS_WAF_CHALLENGE,
                                      headers={"Server": "awselb/2.0"})
                if kind == "cloudflare":
                    return self._send(value, CLOUDFLARE_CHALLENGE,
                                      headers={"Server": "cloudflare", "cf-mitigated": "challenge",
                                               "CF-RAY": "8f1c2d3e4f-SIN"})
                if kind == "edge-403":
                    return self._send(403, EDGE_REFUSAL, headers=EDGE_HEADERS)
                if kind == "pdf":
                    return self._send(200, b"%PDF-1.4 not a page", "application/pdf")
                if kind == "timeout":
                    time.sleep(site.hang)
                    self.close_connection = True
                    return None
                if kind == "reset":
                    self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
                    self.close_connection = True
                    return None
                if kind == "truncate":
                    self.send_response(200)
                    self.send_header("Content-Type", _TYPES[".html"])
                    self.send_header("Content-Length", "50000")
                    self.end_headers()
                    self.wfile.write(b"<html><body><h1 id='arttitle'>Judul</h1><p>Isi yang ter")
                    self.close_connection = True
                    return None
                if kind == "huge":
                    return self._huge()
                raise ValueError(f"unknown fault {fault!r}")

            def _huge(self) -> None:
                chunk = b"<p>" + b"x" * 65530 + b"</p>"
                self.send_response(200)
                self.send_header("Content-Type", _TYPES[".html"])
                self.send_header("Content-Length", str(len(chunk) * 320))  # about 20 MB
                self.end_headers()
                try:
                    for _ in range(320):
                        self.wfile.write(chunk)
                except OSError:
                    pass  # the client gave up, as it should
                self.close_connection = True

            def _send(self, status: int, body: bytes, content_type: str = _TYPES[".html"],
                      headers: dict[str, str] | None = None) -> None:
                self.send_response(status)
                self.send_header("Content-Type", content_type)
                self.send_header("Content-Length", str(len(body)))
                for name, value in (headers or {}).items():
                    self.send_header(name, value)
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args) -> None:
                pass

        return Handler
