"""The Python processes of `muistot-dev run`, forked from the one that imported their code once.

Each service and the worker would otherwise import FastAPI, pydantic, SQLAlchemy, the drivers and our own
modules on its own: tens of MiB per process, the same in all of them. `muistot-dev run` imports them once
(`preload`), then forks every service and the worker from itself (`fork_muistot`); their pages stay shared
until written to, so the stack's memory (its PSS) counts that code once. A forked child is as separate as a
started one: its own session and process group, its own event loop and connections, its own log, restarted
alone when it dies. Only `muistot-dev run` forks; the tests and the benchmark start processes as before.
"""

from __future__ import annotations

import contextlib
import gc
import importlib
import os
import signal
import subprocess
import sys
import time
import traceback
from collections.abc import Mapping, Sequence

import httpx
import setproctitle
from sqlalchemy.engine import make_url

# What `muistot serve SERVICE` and `muistot worker` load before they do anything of their own.
PRELOAD = (
    "muistot.cli",
    "muistot.startup",
    "muistot.worker",
    "muistot.logs",
    "muistot.malloc",
    "muistot.http_protocol",
    "uvicorn",
    "uvicorn.main",
    "uvicorn.loops.uvloop",
    "uvicorn.protocols.http.httptools_impl",
    "uvicorn.lifespan.on",
    "uvicorn.loops.auto",
    "uvicorn.protocols.websockets.auto",
    "fastapi.telemetry._runtime",
    # Loaded on first use: httpx's transport (login's readiness probes, OIDC), anyio's event-loop backend
    # (a sync dependency's thread), IDNA host names. ~13 MiB in a child that pays for them itself.
    "httpcore",
    "h11",
    "anyio._backends._asyncio",
    "anyio.streams.tls",
    "encodings.idna",
    # What the command line registers (`muistot.cli.build_parser`).
    "muistot.backup",
    "muistot.cli_superuser",
    "muistot.container_checks",
    "muistot_login.app",
    "muistot_users.app",
    "muistot_admin.app",
    "muistot_data.app",
)


def preload(database_url: str) -> None:
    """Import what the children run, the driver of `database_url` included (SQLAlchemy loads it only when the
    first engine is made: ~4 MiB in each child), then keep the collector off those objects (so it does not
    write to, and thereby unshare, the pages they live on)."""
    for name in PRELOAD:
        importlib.import_module(name)
    make_url(database_url).get_dialect().import_dbapi()
    # OpenSSL's first use (its algorithm tables, decoders, error strings) costs ~8 MiB, once per process: a
    # child's first httpx client (login's readiness probes) would pay it again, here the children share it.
    httpx.create_ssl_context()
    gc.collect()
    gc.freeze()


class ForkedProcess:
    """A forked child, with the part of `subprocess.Popen` the runner uses."""

    def __init__(self, pid: int) -> None:
        self.pid = pid
        self.returncode: int | None = None

    def poll(self) -> int | None:
        if self.returncode is None:
            try:
                pid, status = os.waitpid(self.pid, os.WNOHANG)
            except ChildProcessError:
                pid, status = self.pid, 0
            if pid == self.pid:
                self.returncode = os.waitstatus_to_exitcode(status)  # -N for a signal, as Popen says
        return self.returncode

    def wait(self, timeout: float | None = None) -> int:
        deadline = None if timeout is None else time.monotonic() + timeout
        while self.poll() is None:
            if deadline is not None and time.monotonic() >= deadline:
                raise subprocess.TimeoutExpired(f"pid {self.pid}", timeout or 0)
            time.sleep(0.02)
        assert self.returncode is not None
        return self.returncode


def fork_muistot(argv: Sequence[str], env: Mapping[str, str], output: int | None) -> ForkedProcess:
    """Fork a child that runs `python -m muistot.cli ARGS` (`argv`) with exactly `env`, its output to the file
    descriptor `output` (None: this process's own), in a session of its own. `ps` shows it as that command."""
    for stream in (sys.stdout, sys.stderr):
        stream.flush()
    pid = os.fork()
    if pid:
        return ForkedProcess(pid)
    code = 1
    try:
        setproctitle.setproctitle(" ".join(argv))  # before the environment is replaced: it uses that memory
        _become_child(env, output)
        from muistot import cli

        code = cli.main(list(argv[3:]))
    except SystemExit as exc:
        code = exc.code if isinstance(exc.code, int) else 1
    except BaseException:
        traceback.print_exc()
    finally:
        with contextlib.suppress(Exception):
            sys.stdout.flush()
            sys.stderr.flush()
        os._exit(code)


def _become_child(env: Mapping[str, str], output: int | None) -> None:
    os.setsid()
    for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
        signal.signal(sig, signal.SIG_DFL)
    stdin = os.open(os.devnull, os.O_RDONLY)
    os.dup2(stdin, 0)
    if output is not None:
        os.dup2(output, 1)
        os.dup2(output, 2)
    # Nothing of the parent's stays open here: its listening sockets, log files, connections.
    os.closerange(3, os.sysconf("SC_OPEN_MAX"))
    os.environ.clear()
    os.environ.update(env)
    for stream in (sys.stdout, sys.stderr):  # a log file, read while the stack runs
        with contextlib.suppress(AttributeError, ValueError):
            stream.reconfigure(line_buffering=True)  # type: ignore[union-attr]
    from muistot.settings import get_settings

    get_settings.cache_clear()
