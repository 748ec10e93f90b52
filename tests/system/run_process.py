"""`muistot-dev run` (what `make run` starts) as a process of a test: its output, the processes under it,
and a stop by Ctrl-C that leaves nothing behind."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Mapping
from pathlib import Path

import httpx

from muistot.settings import Settings
from muistot_tooling.runner import settings_env
from muistot_tooling.testing.processes import (
    alive,
    command_line,
    descendants,
    kill_leftovers,
    processes_with,
    stop_group,
)

START_TIMEOUT = 90.0


def listening(port: int) -> bool:
    with socket.socket() as sock:
        return sock.connect_ex(("127.0.0.1", port)) == 0


class RunProcess:
    """One `python -m muistot_tooling.cli run`, with its combined output in `<directory>/run.log`."""

    def __init__(self, env: Mapping[str, str], directory: Path, args: tuple[str, ...] = ()) -> None:
        self.directory = directory
        self.output = directory / "run.log"
        clean = {key: value for key, value in os.environ.items() if not key.startswith("MUISTOT_")}
        clean.update(env)
        clean["PYTHONUNBUFFERED"] = "1"
        with self.output.open("wb") as out:
            self.process = subprocess.Popen([sys.executable, "-m", "muistot_tooling.cli", "run", *args], cwd=directory,
                                            env=clean, stdin=subprocess.DEVNULL, stdout=out,
                                            stderr=subprocess.STDOUT, start_new_session=True)

    @classmethod
    def with_settings(cls, settings: Settings, directory: Path, **extra: str) -> RunProcess:
        return cls({**settings_env(settings), **extra}, directory)

    @property
    def text(self) -> str:
        return self.output.read_text(errors="replace")

    def lines(self, prefix: str = "muistot: ") -> list[str]:
        """The runner's own lines (not the services' JSON log lines)."""
        return [line for line in self.text.splitlines() if line.startswith(prefix)]

    def wait_started(self, gateway_url: str, timeout: float = START_TIMEOUT) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            assert self.process.poll() is None, self.text[-4000:]
            if "press Ctrl-C to stop" in self.text:
                assert httpx.get(f"{gateway_url}/ready", timeout=5).status_code == 200
                return
            time.sleep(0.1)
        raise AssertionError(f"muistot-dev run did not start: {self.text[-4000:]}")

    def wait_line(self, needle: str, timeout: float = 60.0) -> str:
        """The first runner line containing `needle`, waiting for it."""
        deadline = time.monotonic() + timeout
        while True:
            for line in self.lines():
                if needle in line:
                    return line
            assert self.process.poll() is None, self.text[-4000:]
            if time.monotonic() >= deadline:
                raise AssertionError(f"no line with {needle!r}: {chr(10).join(self.lines())}")
            time.sleep(0.05)

    def pid_of(self, *words: str) -> int:
        """The one process under the runner whose command line has all of `words` in order."""
        found = processes_with(self.process.pid, *words)
        assert len(found) == 1, (words, [command_line(pid) for pid in found])
        return found[0]

    def interrupt(self, timeout: float = 30.0) -> int:
        """Ctrl-C (SIGINT to the runner's own process group); returns its exit status."""
        started = descendants(self.process.pid)
        os.killpg(self.process.pid, signal.SIGINT)
        code = self.process.wait(timeout=timeout)
        deadline = time.monotonic() + 10
        while any(alive(pid) for pid in started) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert not [pid for pid in started if alive(pid)], "processes left after Ctrl-C"
        return code

    def kill(self) -> None:
        """Clean-up after a failed test: everything this run started, by pid."""
        started = descendants(self.process.pid)
        if self.process.poll() is None:
            stop_group(self.process, signal.SIGTERM, timeout=20)
        kill_leftovers(started)

