"""A run's web archive as a WACZ (``NEWSCRAWL_ARCHIVE_FORMAT=wacz``): the format ReplayWeb.page
opens and pywb adds to a collection (``wb-manager add --unpack-wacz``) without an indexing step.

The WACZ 1.1.1 layout (https://specs.webrecorder.net/wacz/1.1.1/): ``archive/<run>.warc.gz``
(the run's WARC, stored, not deflated: readers seek into it), ``indexes/index.cdx`` (CDXJ,
sorted by SURT, written by the Webrecorder project's own indexer, cdxj-indexer),
``pages/pages.jsonl`` (one entry per exported article: its page-1 URL, title and capture
time), ``datapackage.json`` (every file with its size and SHA-256) and
``datapackage-digest.json`` (the hash of the package description).
"""
from __future__ import annotations

import hashlib
import io
import json
import os
import zipfile
from datetime import datetime, timezone
from pathlib import Path
from typing import Iterable

WACZ_VERSION = "1.1.1"
CHUNK = 1 << 20


def package(warc: Path, out: Path, member: str, pages: Iterable[dict], title: str, software: str) -> None:
    """Write the WACZ ``out`` holding ``warc`` as ``archive/<member>``, complete and synced."""
    from cdxj_indexer.main import CDXJIndexer

    index = io.StringIO()
    CDXJIndexer(index, [str(warc)], sort=True, filename=member).process_all()
    pages_jsonl = "".join(json.dumps(line, ensure_ascii=False) + "\n" for line in [
        {"format": "json-pages-1.0", "id": "pages", "title": "Articles"}, *pages])
    resources = []
    with zipfile.ZipFile(out, "w") as wacz:
        info = zipfile.ZipInfo(f"archive/{member}", _zip_time())
        info.compress_type = zipfile.ZIP_STORED
        # Its size known, zipfile writes zip64 fields only when the member needs them: forced,
        # the local header's sizes read 0xFFFFFFFF, and ReplayWeb.page then finds no record.
        info.file_size = warc.stat().st_size
        digest, size = hashlib.sha256(), 0
        with open(warc, "rb") as source, wacz.open(info, "w") as target:
            while chunk := source.read(CHUNK):
                digest.update(chunk)
                size += len(chunk)
                target.write(chunk)
        resources.append(_resource(info.filename, digest.hexdigest(), size))
        for name, text in (("indexes/index.cdx", index.getvalue()), ("pages/pages.jsonl", pages_jsonl)):
            data = text.encode("utf-8")
            _write(wacz, name, data)
            resources.append(_resource(name, hashlib.sha256(data).hexdigest(), len(data)))
        description = json.dumps({
            "profile": "data-package", "resources": resources, "title": title,
            "created": datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
            "wacz_version": WACZ_VERSION, "software": software}, indent=2).encode("utf-8")
        _write(wacz, "datapackage.json", description)
        _write(wacz, "datapackage-digest.json", json.dumps(
            {"path": "datapackage.json", "hash": "sha256:" + hashlib.sha256(description).hexdigest()}).encode())
    _sync(out)


def _resource(path: str, sha256: str, size: int) -> dict:
    return {"name": os.path.basename(path).lower(), "path": path, "hash": f"sha256:{sha256}", "bytes": size}


def _write(wacz: zipfile.ZipFile, name: str, data: bytes) -> None:
    info = zipfile.ZipInfo(name, _zip_time())
    info.compress_type = zipfile.ZIP_DEFLATED  # indexes and page lists may be compressed
    wacz.writestr(info, data)


def _zip_time() -> tuple[int, int, int, int, int, int]:
    return datetime.now(timezone.utc).timetuple()[:6]


def _sync(path: Path) -> None:
    with open(path, "rb+") as file:
        os.fsync(file.fileno())
