"""Crawls forked from a process that has imported Scrapy and newscrawl already (tests only).

A ``scrapy crawl`` spends about 0.8 of its 1.1 s of CPU importing, and some 450 tests start
one. Each test process (an xdist worker) keeps one zygote: for every ``run_crawl`` (and
``run_module``: a dataset build, the fixture tool) it forks a child that sets its own working
folder, environment, ``sys.argv``, stdin, stdout and stderr, and runs the module as
``python -m`` does (``scrapy``: ``scrapy.cmdline.execute()``): its own process, the real
engine, the real reactor (installed by the child: the zygote imports no reactor). Measured:
0.28 s a crawl of the sample archive instead of 1.09 s.

``NEWSCRAWL_TEST_ZYGOTE=0`` runs every crawl as a fresh ``python -m scrapy`` instead.

The protocol, one JSON line each way on the zygote's own pipes: a request
``{"module", "argv", "cwd", "env", "stdout", "stderr"}``, then ``{"pid"}`` once the child is forked
and ``{"status"}`` once it has exited.
"""
from __future__ import annotations

import json
import os
import select
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

PRELOAD = ("scrapy.cmdline", "scrapy.crawler", "scrapy.http", "scrapy.spiders", "newscrawl.settings",
           "newscrawl.commands.crawl", "newscrawl.spiders.tribun", "newscrawl.pipelines",
           "newscrawl.middlewares", "newscrawl.run.preflight",
           # A replay reads records back with warcio, which imports fsspec here (0.16 s).
           "warcio.archiveiterator", "fastwarc.warc")


def serve(requests: int, replies: int) -> None:
    """The zygote: one crawl at a time until the test process closes its end."""
    import importlib

    for name in PRELOAD:
        importlib.import_module(name)
    _preload_components()
    assert "twisted.internet.reactor" not in sys.modules  # each child installs its own
    incoming = os.fdopen(requests, encoding="utf-8")
    for line in incoming:
        request = json.loads(line)
        pid = os.fork()
        if pid == 0:
            os.close(replies)
            incoming.close()
            _child(request)  # never returns
        os.write(replies, (json.dumps({"pid": pid}) + "\n").encode())
        _, status = os.waitpid(pid, 0)
        os.write(replies, (json.dumps({"status": os.waitstatus_to_exitcode(status)}) + "\n").encode())


def _preload_components() -> None:
    """Every command module and every component the project's settings name (middlewares,
    extensions, handlers, scheduler...): what Scrapy would import in each crawl."""
    from scrapy.settings import Settings
    from scrapy.utils.misc import load_object, walk_modules_iter

    for package in ("scrapy.commands", "newscrawl.commands"):
        list(walk_modules_iter(package))
    settings = Settings()
    settings.setmodule("newscrawl.settings", priority="project")
    paths = set()
    for name, value in settings.items():
        values = value.keys() if hasattr(value, "keys") else [value]
        paths.update(v for v in values if isinstance(v, str) and v.startswith(("scrapy.", "newscrawl.")) and "." in v)
    for path in paths:
        try:
            load_object(path)
        except Exception:  # noqa: BLE001 - a path that is not an object: nothing to preload
            pass


def _child(request: dict) -> None:
    code = 1
    try:
        os.chdir(request["cwd"])
        os.environ.clear()
        os.environ.update(request["env"])
        null = os.open(os.devnull, os.O_RDONLY)
        os.dup2(null, 0)
        for fd, path in ((1, request["stdout"]), (2, request["stderr"])):
            out = os.open(path, os.O_WRONLY | os.O_TRUNC)
            os.dup2(out, fd)
            os.close(out)
        sys.path[0] = request["cwd"]  # as `python -m` puts the working folder first
        sys.argv = ["-m", *request["argv"]]  # run_module puts the module's file first, as python -m does
        signal.signal(signal.SIGINT, signal.default_int_handler)
        import runpy

        try:
            runpy.run_module(request["module"], run_name="__main__", alter_sys=True)
            code = 0
        except SystemExit as done:
            code = done.code if isinstance(done.code, int) else (0 if done.code is None else 1)
    except BaseException:
        import traceback

        traceback.print_exc()
    finally:
        try:
            import atexit
            import logging

            atexit._run_exitfuncs()
            logging.shutdown()
            sys.stdout.flush()
            sys.stderr.flush()
        finally:
            os._exit(code)


class Zygote:
    """The test process's handle on its zygote (started on first use)."""

    def __init__(self) -> None:
        self.process: subprocess.Popen | None = None
        self.to_zygote = self.from_zygote = -1

    def run(self, command: list[str], cwd: Path, env: dict[str, str], timeout: float) -> subprocess.CompletedProcess:
        """``subprocess.run(command, cwd, env, capture_output, text, timeout)`` for a command
        ``[python, -m, module, ...]``, forked from the zygote."""
        assert command[:2] == [sys.executable, "-m"], command
        if self.process is None or self.process.poll() is not None:
            self._start(env)
        out = tempfile.NamedTemporaryFile(prefix="crawl-out-", delete=False)
        err = tempfile.NamedTemporaryFile(prefix="crawl-err-", delete=False)
        out.close(), err.close()
        try:
            request = {"module": command[2], "argv": command[3:], "cwd": str(cwd), "env": env, "stdout": out.name, "stderr": err.name}
            os.write(self.to_zygote, (json.dumps(request) + "\n").encode())
            pid = self._reply(60)["pid"]
            try:
                status = self._reply(timeout)["status"]
            except subprocess.TimeoutExpired:
                os.kill(pid, signal.SIGKILL)
                self._reply(60)
                raise subprocess.TimeoutExpired(command, timeout, Path(out.name).read_text(errors="replace"),
                                                Path(err.name).read_text(errors="replace")) from None
            return subprocess.CompletedProcess(command, status, Path(out.name).read_text(errors="replace"),
                                               Path(err.name).read_text(errors="replace"))
        finally:
            os.unlink(out.name)
            os.unlink(err.name)

    def _start(self, env: dict[str, str]) -> None:
        self.close()
        requests_r, self.to_zygote = os.pipe()
        self.from_zygote, replies_w = os.pipe()
        code = f"from tests.zygote import serve; serve({requests_r}, {replies_w})"
        self.process = subprocess.Popen([sys.executable, "-c", code], cwd=Path(__file__).resolve().parent.parent,
                                        env=env, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, pass_fds=(requests_r, replies_w))
        os.close(requests_r)
        os.close(replies_w)
        self._buffer = b""

    def _reply(self, timeout: float) -> dict:
        deadline = time.monotonic() + timeout
        while b"\n" not in self._buffer:
            left = deadline - time.monotonic()
            if left <= 0 or not select.select([self.from_zygote], [], [], left)[0]:
                raise subprocess.TimeoutExpired("zygote", timeout)
            chunk = os.read(self.from_zygote, 4096)
            if not chunk:
                raise RuntimeError("the crawl zygote died")
            self._buffer += chunk
        line, self._buffer = self._buffer.split(b"\n", 1)
        return json.loads(line)

    def close(self) -> None:
        """Close the zygote's pipe (it ends) and reap it."""
        for fd in (self.to_zygote, self.from_zygote):
            if fd >= 0:
                os.close(fd)
        self.to_zygote = self.from_zygote = -1
        if self.process is not None:
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
            self.process = None
