"""The real stack for system tests: Traefik + the four services (uvicorn) + the worker, as processes.

They run on free ports against the suite's test database and Redis prefix (`test_settings` from
`muistot_tooling.testing.plugin`). Each process logs JSON lines to `<tmp>/logs/<name>.log`; a test can ask
which service answered a request by its `X-Request-Id` (`stack.answered_by(...)`).
"""

from __future__ import annotations

import asyncio
import json
import time
import uuid
from collections.abc import Callable, Coroutine, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import httpx
import pytest
from redis.asyncio import Redis

from muistot.db.engine import create_engine
from muistot.sessions import SessionStore
from muistot.settings import SERVICES, Settings
from muistot_tooling.runner import Stack
from muistot_tooling.testing.factories import TestUser, insert_signed_in_user
from muistot_tooling.testing.ports import free_ports

T = TypeVar("T")
PORT_FIELDS = ("gateway_port", "metrics_port", *(f"{name}_port" for name in SERVICES))
GatewayUser = TestUser  # a user with a live session, signed in as the gateway's clients are


def new_request_id() -> str:
    return uuid.uuid4().hex


@dataclass
class RunningStack:
    url: str  # the gateway
    services: dict[str, str]  # each service directly
    settings: Settings
    stack: Stack
    log_dir: Path

    def answered_by(self, request_id: str, path: str, timeout: float = 5.0) -> str | None:
        """The service whose access log has `path` under `request_id` (None when none does in time).

        The access line is written once the response has been sent, so poll for it briefly.
        """
        deadline = time.monotonic() + timeout
        while True:
            found = self._find(request_id, path)
            if found or time.monotonic() >= deadline:
                return found
            time.sleep(0.02)

    def logged(self, request_id: str) -> list[tuple[str, str]]:
        """(service, path) of every access line with this request id."""
        hits = []
        for name in SERVICES:
            for entry in self._entries(name):
                if entry.get("request_id") == request_id and entry.get("logger") == f"muistot.{name}.access":
                    hits.append((name, str(entry.get("path"))))
        return hits

    def messages(self, request_id: str, service: str) -> list[str]:
        """The log messages `service` wrote while answering the request with this id."""
        return [str(entry.get("message")) for entry in self._entries(service) if entry.get("request_id") == request_id]

    def _find(self, request_id: str, path: str) -> str | None:
        for name, logged_path in self.logged(request_id):
            if logged_path == path:
                return name
        return None

    def _entries(self, name: str) -> Iterator[dict]:
        log = self.log_dir / f"{name}.log"
        if not log.exists():
            return
        for line in log.read_text(errors="replace").splitlines():
            if line.startswith("{") and "request_id" in line:
                try:
                    yield json.loads(line)
                except ValueError:
                    continue

    async def create_user(self, *, superuser: bool = False) -> GatewayUser:
        """A user row (SQLAlchemy) with a live session (the shared SessionStore)."""
        return await create_user(self.settings, superuser=superuser)


async def create_user(settings: Settings, *, superuser: bool = False) -> GatewayUser:
    """A user row with a live session, written from outside the stack's processes."""
    engine = create_engine(settings)
    redis = Redis.from_url(settings.session_redis_url)
    try:
        store = SessionStore(redis, settings.redis_prefix, settings.session_idle_seconds, settings.session_max_seconds)
        return await insert_signed_in_user(engine, store, superuser=superuser, client="system-test")
    finally:
        await engine.dispose()
        await redis.aclose()


def stack_settings(base: Settings, **overrides: object) -> Settings:
    ports = dict(zip(PORT_FIELDS, free_ports(len(PORT_FIELDS)), strict=True))
    return base.model_copy(update={**ports, "log_json": True, "cors_origins": "http://frontend.example",
                                   **overrides})


@contextmanager
def start_stack(settings: Settings, log_dir: Path, *, worker: bool = True) -> Iterator[RunningStack]:
    """The stack's processes, running until the `with` block ends."""
    stack = Stack(settings, log_dir=log_dir, worker=worker)
    stack.start(timeout=60)
    try:
        yield RunningStack(url=stack.url, services=stack.service_urls, settings=settings, stack=stack,
                           log_dir=log_dir)
    finally:
        stack.stop()


@pytest.fixture(scope="session")
def system_stack(test_settings: Settings, tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningStack]:
    """The whole stack for the session: gateway URL in `.url`, each service's URL in `.services`."""
    with start_stack(stack_settings(test_settings), tmp_path_factory.mktemp("stack-logs")) as running:
        yield running


@pytest.fixture
def gateway_user(system_stack: RunningStack) -> GatewayUser:
    return run_async(system_stack.create_user())


def run_async(coro: Coroutine[Any, Any, T]) -> T:
    """Run a coroutine to completion on a private loop in a worker thread.

    Sync fixtures must not touch the event loop that pytest-asyncio keeps for the session.
    """
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(asyncio.run, coro).result()


@pytest.fixture
def make_gateway_user(system_stack: RunningStack) -> Callable[..., GatewayUser]:
    """`make_gateway_user(superuser=False)` → another user with a live session."""
    def make(*, superuser: bool = False) -> GatewayUser:
        return run_async(system_stack.create_user(superuser=superuser))

    return make


@pytest.fixture(scope="module")
def client(system_stack: RunningStack) -> Iterator[httpx.Client]:
    """A gateway client shared by the tests of one module (the flow tests keep sessions across steps)."""
    with httpx.Client(base_url=system_stack.url, timeout=10) as client:
        yield client


@pytest.fixture(scope="module")
def mailbox(system_stack: RunningStack) -> Any:
    """The file mailbox the stack's worker delivers to."""
    from tests.system.flows import Mailbox

    return Mailbox(system_stack.settings)


@pytest.fixture
def gateway(system_stack: RunningStack) -> Iterator[httpx.Client]:
    """An HTTP client for the gateway."""
    with httpx.Client(base_url=system_stack.url, timeout=10) as client:
        yield client
