"""`muistot-dev run` (what `make run` starts: the supervised services, worker and gateway) on the run's own
MariaDB, Redis and SMTP server, as a child process whose output goes to `<directory>/run.log`."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx

from muistot.settings import Settings
from muistot_tooling.runner import settings_env
from muistot_tooling.testing.ports import free_ports
from muistot_tooling.testing.processes import descendants, kill_leftovers, processes_with, stop_group

START_TIMEOUT = 120.0
# Every bound short, each inside the next (as `Settings.check` requires), so a table lock outlives them
# within seconds: a statement waits 2 s for a lock, a request runs at most 4 s, the gateway waits 8 s.
TIME_LIMITS = {"db_lock_timeout": 2, "db_statement_timeout": 3.0, "request_timeout": 4.0, "gateway_timeout": 8.0}
PORT_FIELDS = ("gateway_port", "metrics_port", "login_port", "users_port", "admin_port", "data_port")


def run_settings(directory: Path, *, database_url: str, redis_url: str, mail_url: str, secret: str) -> Settings:
    """The stack's settings: nothing from the caller's environment or `.env`, loopback ports of its own."""
    ports = dict(zip(PORT_FIELDS, free_ports(len(PORT_FIELDS)), strict=True))
    return Settings(_env_file=None, env="test", var_dir=directory / "var", database_url=database_url,
                    redis_url=redis_url, mail_url=mail_url, files_url=f"file://{directory}/files",
                    identity_secret=secret, bcrypt_cost=4, log_json=True, log_level="WARNING",
                    redis_prefix="resilience:", **ports, **TIME_LIMITS)  # type: ignore[arg-type]


class RunningStack:
    """One `python -m muistot_tooling.cli run` in its own session, stopped by Ctrl-C (SIGINT to its group)."""

    def __init__(self, settings: Settings, directory: Path) -> None:
        self.settings = settings
        self.output = directory / "run.log"
        env = {key: value for key, value in os.environ.items() if not key.startswith("MUISTOT_")}
        env.update(settings_env(settings))
        env["PYTHONUNBUFFERED"] = "1"
        with self.output.open("wb") as out:
            self.process = subprocess.Popen([sys.executable, "-m", "muistot_tooling.cli", "run"], cwd=directory,
                                            env=env, stdin=subprocess.DEVNULL, stdout=out, stderr=subprocess.STDOUT,
                                            start_new_session=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.settings.gateway_port}"

    def service_url(self, service: str) -> str:
        return f"http://127.0.0.1:{self.settings.port_of(service)}"

    def runner_lines(self) -> list[str]:
        return [line for line in self.output.read_text(errors="replace").splitlines() if line.startswith("muistot: ")]

    def wait_started(self) -> None:
        deadline = time.monotonic() + START_TIMEOUT
        while "muistot: press Ctrl-C to stop" not in self.runner_lines():
            if self.process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError("muistot-dev run did not start:\n" + "\n".join(self.runner_lines()[-30:]))
            time.sleep(0.2)
        if httpx.get(f"{self.url}/ready", timeout=10).status_code != 200:
            raise RuntimeError("the gateway is not ready after start-up")

    def line_count(self) -> int:
        return len(self.runner_lines())

    def wait_line(self, needle: str, after: int, timeout: float = 60.0) -> str | None:
        """The first runner line after the first `after` ones containing `needle` (None when none in time)."""
        deadline = time.monotonic() + timeout
        while True:
            for line in self.runner_lines()[after:]:
                if needle in line:
                    return line
            if time.monotonic() >= deadline:
                return None
            time.sleep(0.1)

    def pid_of(self, *words: str) -> int | None:
        """The one live process under the runner whose command line has all of `words` in this order."""
        found = processes_with(self.process.pid, *words)
        return found[0] if len(found) == 1 else None

    def stop(self) -> int | None:
        """Ctrl-C, then whatever is left of the runner's processes killed by pid; the runner's exit status."""
        started = descendants(self.process.pid)
        code = self.process.poll()
        if code is None:
            code = stop_group(self.process, signal.SIGINT, timeout=30)
        kill_leftovers(started)
        return code

