"""Pytest fixtures shared by every service's tests: a real MariaDB database and Redis namespace per run.

Each test run creates its own database (`muistot_test_<random>`), migrates it with Alembic, and
drops it at the end; Redis keys live under a unique prefix that is deleted at the end. Point the
suite at other servers with MUISTOT_TEST_MYSQL_URL (server URL without a database) and
MUISTOT_TEST_REDIS_URL.
"""

from __future__ import annotations

import asyncio
import secrets
import shutil
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import asynccontextmanager
from typing import Any

import httpx
import pytest
import pytest_asyncio
from fastapi import FastAPI
from redis.asyncio import Redis
from redis.exceptions import ConnectionError as RedisConnectionError
from sqlalchemy.engine import make_url

from muistot import migrate
from muistot.settings import Settings
from muistot_tooling.testing.factories import TestUser, insert_signed_in_user
from muistot_tooling.testing.ports import free_port
from muistot_tooling.testing.servers import MYSQL_SERVER, REDIS_SERVER
from muistot_tooling.testing.servers import admin_execute as _admin_execute
from muistot_tooling.testing.servers import drop_redis_prefix as _drop_redis_prefix


@pytest.fixture(scope="session")
def test_settings(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Settings]:
    name = f"muistot_test_{secrets.token_hex(4)}"
    _admin_execute(f"CREATE DATABASE `{name}` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci")
    var = tmp_path_factory.mktemp("var")
    database_url = make_url(MYSQL_SERVER).set(database=name).render_as_string(hide_password=False)
    settings = Settings(
        env="test",
        var_dir=var,
        database_url=database_url + "?charset=utf8mb4",
        redis_url=REDIS_SERVER,
        redis_prefix=f"t{secrets.token_hex(4)}:",
        bcrypt_cost=4,
        log_json=False,
    )
    try:
        migrate.upgrade(settings)
        yield settings
    finally:
        _admin_execute(f"DROP DATABASE IF EXISTS `{name}`")
        asyncio.run(_drop_redis_prefix(settings))


@asynccontextmanager
async def running(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    """An in-process client for an app, with its lifespan running."""
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
            yield client


# Addresses where nothing listens: outage tests get a real refused connection, not a mock.
CLOSED_MYSQL_URL = "mysql+aiomysql://root@127.0.0.1:1/nothing"
CLOSED_REDIS_URL = "redis://127.0.0.1:1/0"


@pytest_asyncio.fixture
async def own_redis() -> AsyncIterator[str]:
    """The URL of a redis-server of this test alone (no persistence), stopped afterwards: a test may pause it
    (`CLIENT PAUSE … WRITE`) without touching anybody else's tests."""
    binary = shutil.which("redis-server")
    if binary is None:
        pytest.fail("redis-server is needed for this test")
    port = free_port()
    process = await asyncio.create_subprocess_exec(binary, "--port", str(port), "--bind", "127.0.0.1", "--save", "",
                                                   "--appendonly", "no", stdout=asyncio.subprocess.DEVNULL,
                                                   stderr=asyncio.subprocess.DEVNULL)
    url = f"redis://127.0.0.1:{port}/0"
    client = Redis.from_url(url)
    try:
        for _ in range(100):
            try:
                await client.ping()
                break
            except RedisConnectionError:
                await asyncio.sleep(0.05)
        yield url
    finally:
        await client.aclose()
        process.terminate()
        await asyncio.wait_for(process.wait(), timeout=10)


@pytest.fixture
def service_app_with(test_settings: Settings) -> Callable[[str], Callable[..., FastAPI]]:
    """`service_app_with("users")(database_url=CLOSED_MYSQL_URL)` → that service's app on changed settings."""
    import importlib

    def for_service(name: str) -> Callable[..., FastAPI]:
        module = importlib.import_module(f"muistot_{name}.app")

        def make(**overrides: Any) -> FastAPI:
            return module.create_app(test_settings.model_copy(update=overrides))

        return make

    return for_service


@pytest_asyncio.fixture(scope="session")
async def service_client(test_settings: Settings) -> AsyncIterator[Callable[[str], httpx.AsyncClient]]:
    """`service_client("data")` → an httpx client talking to that service's app in-process."""
    import importlib

    apps: dict[str, Any] = {}
    stack: list[Any] = []

    def get(name: str) -> httpx.AsyncClient:
        if name not in apps:
            raise KeyError(name)
        return apps[name]

    for name in ("login", "users", "admin", "data"):
        module = importlib.import_module(f"muistot_{name}.app")
        app = module.create_app(test_settings)
        context = running(app)
        apps[name] = await context.__aenter__()
        apps[name].app = app  # type: ignore[attr-defined]
        stack.append(context)
    try:
        yield get
    finally:
        for context in reversed(stack):
            await context.__aexit__(None, None, None)


@pytest_asyncio.fixture(scope="session")
async def make_user(service_client: Callable[[str], httpx.AsyncClient]) -> Callable[..., Any]:
    """`await make_user(superuser=False)` → a verified user with a live session (a TestUser)."""
    state = service_client("login").app.state  # type: ignore[attr-defined]

    async def create(*, superuser: bool = False, username: str | None = None, email: str | None = None) -> TestUser:
        return await insert_signed_in_user(state.db, state.sessions, superuser=superuser, username=username,
                                           email=email)

    return create
