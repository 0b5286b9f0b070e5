"""What the settings mean together: the run's feed name, the project's folders (anchored
beside ``scrapy.cfg``, an explicit output's own state), distributed mode's Redis URL, worker
name and keys. The settings themselves (names, defaults, checks) are newscrawl/options.py."""
from __future__ import annotations

import hashlib
import os
import socket
from pathlib import Path
from typing import Any

from scrapy.settings import SETTINGS_PRIORITIES, BaseSettings
from scrapy.utils.conf import closest_scrapy_cfg

from newscrawl.dedup.store import STORE_NAME

# The run's own output file (settings.py FEEDS), one per run: %(run)s is its run id.
RUN_FEED = "output/%(name)s/%(name)s-%(run)s.jsonl"


def anchor_to_project(settings: BaseSettings, root: Path | None) -> None:
    """Make the default (not command-line) output and state folders relative to ``root``,
    the folder of ``scrapy.cfg``, as Scrapy places its own ``.scrapy`` folder there.

    A run started from a subfolder of the checkout then uses the same ``output/`` and
    ``.newscrawl/`` as one started beside ``scrapy.cfg``, instead of a fresh state that
    exports everything again. ``-s``/``-O`` paths stay relative to where you are.
    """
    if root is None:
        return
    cmdline = SETTINGS_PRIORITIES["cmdline"]
    state_dir = settings.get("NEWSCRAWL_STATE_DIR")
    if (settings.getpriority("NEWSCRAWL_STATE_DIR") or 0) < cmdline and not Path(state_dir).is_absolute():
        settings.set("NEWSCRAWL_STATE_DIR", str(root / state_dir), priority=settings.getpriority("NEWSCRAWL_STATE_DIR"))
    if (settings.getpriority("FEEDS") or 0) < cmdline:
        feeds = {_anchored(str(uri), root): options for uri, options in settings.getdict("FEEDS").items()}
        settings.set("FEEDS", feeds, priority=settings.getpriority("FEEDS"))


def explicit_output_state(settings: BaseSettings, given: list[str]) -> None:
    """A run whose output is a file you named (``-o``/``-O``) keeps its record of exported
    articles apart, in ``<state dir>/outputs/<name>-<hash>/``: what it marks as exported is
    in that file, never missing from the output folder of the runs without ``-o``/``-O``
    (a first-run check ``-O check.jsonl`` would otherwise spend the cron run's articles).
    The same file names the same folder, so a cron job with ``-o all.jsonl`` stays
    incremental. A file that earlier runs wrote with the shared store (before 0.3), and
    that has no folder of its own yet, goes on with the shared one. ``-s NEWSCRAWL_STATE_DIR``
    given on the command line is used as it is.
    """
    if not given or (settings.getpriority("NEWSCRAWL_STATE_DIR") or 0) >= SETTINGS_PRIORITIES["cmdline"]:
        return
    shared = Path(settings.get("NEWSCRAWL_STATE_DIR"))
    files = sorted(str(Path(uri.split(":", 1)[0] if ":" in uri and "://" not in uri else uri).resolve())
                   for uri in given)
    own = shared / "outputs" / f"{Path(files[0]).name}-{hashlib.sha1(chr(0).join(files).encode()).hexdigest()[:10]}"
    if not own.exists() and any(Path(f).exists() for f in files) and (shared / STORE_NAME).exists():
        return  # written by earlier runs with the shared store: it goes on with it
    settings.set("NEWSCRAWL_STATE_DIR", str(own), priority=settings.getpriority("NEWSCRAWL_STATE_DIR"))


def _anchored(uri: str, root: Path) -> str:
    """A relative local feed path made absolute under ``root``; other URIs unchanged.

    >>> _anchored("output/%(name)s/x.jsonl", Path("/srv/newscrawl")), _anchored("s3://b/x.jsonl", Path("/r"))
    ('/srv/newscrawl/output/%(name)s/x.jsonl', 's3://b/x.jsonl')
    """
    if "://" in uri or Path(uri).is_absolute():
        return uri
    return str(root / uri)


def project_root() -> Path | None:
    """The folder of the closest ``scrapy.cfg`` above the current one, or None."""
    found = closest_scrapy_cfg()
    return Path(found).parent if found else None


def redis_url(settings: Any) -> str | None:
    """The Redis URL of distributed mode (setting, else environment), or None."""
    return settings.get("REDIS_URL") or os.environ.get("REDIS_URL") or None


# Under the frontier key: a distributed replay's shared index and article tickets
# (newscrawl/archive/shared_index.py), cleared with the crawl (distributed/frontier.py).
REPLAY_KEYS = "replay"


def frontier_key(settings: Any, spider_name: str) -> str:
    """The start of the shared frontier's Redis keys (``NEWSCRAWL_FRONTIER_KEY``, a replay's
    its own) for this spider: ``newscrawl:tribun``, ``newscrawl:tribun-replay``."""
    return settings.get("NEWSCRAWL_FRONTIER_KEY") % {"spider": spider_name}


def worker_name(settings: Any) -> str:
    """This worker's name: ``NEWSCRAWL_WORKER``, else ``<host>-<pid>``."""
    return settings.get("NEWSCRAWL_WORKER") or f"{socket.gethostname()}-{os.getpid()}"
