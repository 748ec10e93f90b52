"""The async engine and the two ways services talk to it: a read connection and a transaction."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import event, text
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, create_async_engine

from muistot import deadline
from muistot.settings import Settings


def utcnow() -> datetime:
    """Naive UTC, as stored in every DATETIME column."""
    return datetime.now(UTC).replace(tzinfo=None, microsecond=0)


def session_setup(settings: Settings, *, bounded: bool = True) -> str:
    """The statement every new MariaDB/MySQL connection runs: UTC, and (unless `bounded` is off, as for
    migrations) how long a statement may wait for a lock and run at all.

    `lock_wait_timeout` bounds table and metadata locks (`LOCK TABLES`, DDL), `innodb_lock_wait_timeout`
    row locks; `max_statement_time` is MariaDB's, inside a comment only MariaDB executes, so MySQL
    still connects.
    """
    parts = ["time_zone = '+00:00'"]
    if bounded:
        seconds = settings.db_lock_timeout
        parts += [f"SESSION innodb_lock_wait_timeout = {seconds}", f"SESSION lock_wait_timeout = {seconds}"]
    statement = "SET " + ", ".join(parts)
    if bounded and settings.db_statement_timeout:
        statement += f" /*M!, SESSION max_statement_time = {settings.db_statement_timeout:g} */"
    return statement


def create_engine(settings: Settings, *, bounded: bool = True, **overrides: Any) -> AsyncEngine:
    url = settings.normalized_database_url
    if url.startswith("sqlite"):
        busy_seconds = settings.db_lock_timeout if bounded else 60
        engine = create_async_engine(url, connect_args={"timeout": busy_seconds}, **overrides)
        _sqlite_pragmas(engine, busy_seconds)
        return engine
    options: dict[str, Any] = {
        "pool_size": settings.db_pool_size,
        "max_overflow": settings.db_pool_size,
        "pool_timeout": settings.db_pool_timeout,
        "pool_recycle": 1800,
        "pool_pre_ping": True,
        "connect_args": {
            "connect_timeout": settings.db_connect_timeout,
            "init_command": session_setup(settings, bounded=bounded),
            "charset": "utf8mb4",
        },
    }
    options.update(overrides)
    return create_async_engine(url, **options)


def _sqlite_pragmas(engine: AsyncEngine, busy_seconds: float) -> None:
    @event.listens_for(engine.sync_engine, "connect")
    def _on_connect(dbapi_conn: Any, _: Any) -> None:
        cursor = dbapi_conn.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute(f"PRAGMA busy_timeout={int(busy_seconds * 1000)}")
        cursor.close()


class Database:
    """Holds the engine. Reads use `connect()`; writes use `transaction()`, which commits on exit.

    Handlers commit inside their own body, so the commit always happens before the response is sent.
    A transaction whose request ran out of time (`muistot.deadline`) is rolled back, never committed.
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
        async with self.engine.connect() as conn:
            trans = await conn.begin()
            try:
                yield conn
                if not deadline.settle():
                    # The request's 503 is on its way: the pending cancellation ends it here, before a commit.
                    await asyncio.sleep(0)
                    raise deadline.TooLate
            except BaseException:
                await trans.rollback()
                raise
            await trans.commit()

    async def ping(self) -> None:
        async with self.engine.connect() as conn:
            await conn.execute(text("SELECT 1"))

    async def dispose(self) -> None:
        await self.engine.dispose()
