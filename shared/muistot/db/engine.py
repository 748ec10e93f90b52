"""The async engine and the two ways services talk to it: a read connection and a transaction."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import event, text
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, create_async_engine

from muistot.settings import Settings


def utcnow() -> datetime:
    """Naive UTC, as stored in every DATETIME column."""
    return datetime.now(UTC).replace(tzinfo=None, microsecond=0)


def create_engine(settings: Settings, **overrides: Any) -> AsyncEngine:
    url = settings.normalized_database_url
    if url.startswith("sqlite"):
        engine = create_async_engine(url, connect_args={"timeout": 15}, **overrides)
        _sqlite_pragmas(engine)
        return engine
    options: dict[str, Any] = {
        "pool_size": settings.db_pool_size,
        "max_overflow": settings.db_pool_size,
        "pool_timeout": settings.db_pool_timeout,
        "pool_recycle": 1800,
        "pool_pre_ping": True,
        "connect_args": {
            "connect_timeout": settings.db_connect_timeout,
            "init_command": "SET time_zone = '+00:00'",
            "charset": "utf8mb4",
        },
    }
    options.update(overrides)
    return create_async_engine(url, **options)


def _sqlite_pragmas(engine: AsyncEngine) -> None:
    @event.listens_for(engine.sync_engine, "connect")
    def _on_connect(dbapi_conn: Any, _: Any) -> None:
        cursor = dbapi_conn.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA busy_timeout=15000")
        cursor.close()


class Database:
    """Holds the engine. Reads use `connect()`; writes use `transaction()`, which commits on exit.

    Handlers commit inside their own body, so the commit always happens before the response is sent.
    """

    def __init__(self, engine: AsyncEngine) -> None:
        self.engine = engine

    @property
    def is_sqlite(self) -> bool:
        return self.engine.dialect.name == "sqlite"

    @asynccontextmanager
    async def connect(self) -> AsyncIterator[AsyncConnection]:
        async with self.engine.connect() as conn:
            yield conn

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[AsyncConnection]:
        async with self.engine.begin() as conn:
            yield conn

    async def ping(self) -> None:
        async with self.engine.connect() as conn:
            await conn.execute(text("SELECT 1"))

    async def dispose(self) -> None:
        await self.engine.dispose()
