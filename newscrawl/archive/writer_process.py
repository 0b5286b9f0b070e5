"""The archive writer process seen from the crawl: ``python -m newscrawl.archive.warcfile``
fed through a pipe from a bounded queue (newscrawl/archive/writer.py hands it the pages)."""
from __future__ import annotations

import json
import os
import queue
import subprocess
import sys
import threading
from pathlib import Path

from newscrawl.archive.warcfile import END_FRAME, Exchange, frame

# Responses waiting for the writer process at most (about 150 KB each): beyond this the
# crawl waits for the disk instead of holding pages in memory.
QUEUE_SIZE = 200


class WriterProcess:
    """The child process that writes the archive (``python -m newscrawl.archive.warcfile``).

    A thread of ours feeds it through its standard input from a bounded queue; another
    reads what it reports on its standard output. Plain pipes, one process at each end:
    a writer that dies makes our writes fail (EPIPE) instead of blocking, a crawl that
    dies gives the writer EOF, and a writer that stops taking pages (SIGSTOP, a hung
    disk) is given ``timeout`` seconds, then killed and reported.
    """

    def __init__(self, path: Path, level: int, filename: str, info: dict[str, str], timeout: float) -> None:
        self.path = path
        self.timeout = timeout
        self.error: str | None = None
        self.captures: dict[str, tuple[str, str, str]] = {}  # url -> its full capture in this file
        self.revisits = 0  # exchanges written as revisit records
        self._done = False
        self._queue: queue.Queue = queue.Queue(QUEUE_SIZE)
        # The crawl's own import path, so that an installed egg (Scrapyd) runs the same code.
        env = {**os.environ, "PYTHONPATH": os.pathsep.join(p for p in sys.path if p)}
        # Its own session: a Ctrl-C or SIGTERM to the crawl's process group must not cut
        # the archive short; the crawl ends it.
        self._process = subprocess.Popen([sys.executable, "-m", "newscrawl.archive.warcfile"], stdin=subprocess.PIPE,
                                         stdout=subprocess.PIPE, env=env, start_new_session=True)
        settings = {"path": str(path), "level": level, "filename": filename, "info": info}
        self._feeder = threading.Thread(target=self._feed, args=(json.dumps(settings).encode() + b"\n",),
                                        name="newscrawl-archive-feeder", daemon=True)
        self._reader = threading.Thread(target=self._read, name="newscrawl-archive-reader", daemon=True)
        self._feeder.start()
        self._reader.start()

    def _fail(self, message: str) -> None:
        if self.error is None:
            self.error = message

    def _feed(self, header: bytes) -> None:
        stdin = self._process.stdin
        writing = True
        try:
            stdin.write(header)
            stdin.flush()
        except OSError:
            writing = False
        while True:
            exchange = self._queue.get()
            if not writing:
                if exchange is None:
                    break
                continue  # the writer is gone: drain, so that the crawl never waits on us
            try:
                stdin.write(END_FRAME if exchange is None else frame(exchange))
                stdin.flush()
            except OSError:
                writing = False
                self._fail("the archive writer exited")
            if exchange is None:
                break
        try:
            stdin.close()
        except OSError:
            pass

    def _read(self) -> None:
        for line in self._process.stdout:
            try:
                message = json.loads(line)
            except ValueError:
                continue
            if message.get("error"):
                self._fail(str(message["error"]))
            if "capture" in message:
                url, digest, date = message["capture"]
                self.captures[url] = (url, digest, date)
            self.revisits += message.get("revisit", 0)
            if "done" in message:
                self._done = bool(message["done"])

    def put(self, exchange: Exchange) -> None:
        try:
            self._queue.put(exchange, timeout=self.timeout)
        except queue.Full:
            self._stuck()

    def _stuck(self) -> None:
        self._fail(f"the archive writer took nothing for {self.timeout:g} s (stopped? a hung disk?): killed")
        self._process.kill()

    def written(self) -> int:
        """Bytes of the file on disk so far (the pages still queued are not in it yet)."""
        try:
            return os.stat(self.path).st_size
        except OSError:
            return 0

    def failed(self) -> str | None:
        """The writer's error, if any (a cheap poll)."""
        if self.error is None and self._process.poll() is not None:
            self._fail(f"the archive writer exited (status {self._process.returncode})")
        return self.error

    def close(self) -> None:
        """Write what is queued; the file is then complete and synced, or ``error`` says why not."""
        try:
            self._queue.put(None, timeout=self.timeout)
        except queue.Full:
            self._stuck()
            self._queue.put(None)  # the feeder drains once the killed writer's pipe breaks
        self._feeder.join(self.timeout)
        try:
            self._process.wait(self.timeout)
        except subprocess.TimeoutExpired:
            self._stuck()
            self._process.wait()
        self._reader.join(self.timeout)
        if self._process.returncode != 0:
            self._fail(f"the archive writer exited with status {self._process.returncode}")
        elif not self._done:
            self._fail("the archive writer did not say it completed the file")
        self._process.stdout.close()
