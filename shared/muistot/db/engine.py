"""The async engine and the two ways services talk to it: a read connection and a transaction."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import event, text
from sqlalchemy.exc import DisconnectionError
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
    """An engine whose connections run transactions (and, unless `open_database` gives reads their own,
    reads too)."""
    url = settings.normalized_database_url
    if url.startswith("sqlite"):
        busy_seconds = settings.db_lock_timeout if bounded else 60
        engine = create_async_engine(url, connect_args={"timeout": busy_seconds}, **overrides)
        _sqlite_pragmas(engine, busy_seconds)
        return engine
    options: dict[str, Any] = {
        # A fixed pool: connections opened and closed as overflow cost a handshake each under load.
        "pool_size": settings.db_pool_size,
        "max_overflow": 0,
        "pool_timeout": settings.db_pool_timeout,
        "pool_recycle": 1800,
        "connect_args": {
            "connect_timeout": settings.db_connect_timeout,
            "init_command": session_setup(settings, bounded=bounded),
            "charset": "utf8mb4",
        },
    }
    options.update(overrides)
    engine = create_async_engine(url, **options)
    _ping_after_idle(engine)
    return engine


# A connection used within this many seconds is handed out as it is; an older one is pinged first.
IDLE_PING_SECONDS = 5.0


def _ping_after_idle(engine: AsyncEngine) -> None:
    """Pessimistic disconnect handling that costs nothing under load.

    `pool_pre_ping` pings on every checkout: a round trip per request. Connections in steady use are
    alive, so only one that sat idle (when the server may have restarted or dropped it) is pinged; a
    failed ping makes the pool replace it before the request sees it.
    """
    pool = engine.sync_engine.pool

    @event.listens_for(pool, "checkin")
    def _on_checkin(_: Any, record: Any) -> None:
        record.info["idle_since"] = time.monotonic()

    @event.listens_for(pool, "checkout")
    def _on_checkout(dbapi_conn: Any, record: Any, _: Any) -> None:
        idle_since = record.info.get("idle_since")
        if idle_since is None or time.monotonic() - idle_since < IDLE_PING_SECONDS:
            return
        try:
            engine.dialect.do_ping(dbapi_conn)
        except Exception as exc:  # whatever the driver raises, this connection is unusable
            raise DisconnectionError(str(exc)) from exc


def _sqlite_pragmas(engine: AsyncEngine, busy_seconds: float) -> None:
    @event.listens_for(engine.sync_engine, "connect")
    def _on_connect(dbapi_conn: Any, _: Any) -> None:
        cursor = dbapi_conn.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute(f"PRAGMA busy_timeout={int(busy_seconds * 1000)}")
        cursor.close()


def create_read_engine(settings: Settings) -> AsyncEngine:
    """Connections for reads in autocommit mode: each statement sees the latest commit, and giving the
    connection back costs no ROLLBACK round trip (a transaction-mode connection needs one)."""
    return create_engine(settings, isolation_level="AUTOCOMMIT", skip_autocommit_rollback=True)


def open_database(settings: Settings) -> Database:
    """The database of a service: a pool for transactions and, on MariaDB/MySQL, one of its own for reads."""
    engine = create_engine(settings)
    if engine.dialect.name == "sqlite":
        return Database(engine)
    return Database(engine, read_engine=create_read_engine(settings))


class Database:
    """Holds the engines. Reads use `connect()`; writes use `transaction()`, which commits on exit.

    Handlers commit inside their own body, so the commit always happens before the response is sent.
    A transaction whose request ran out of time (`muistot.deadline`) is rolled back, never committed.
    """

    def __init__(self, engine: AsyncEngine, read_engine: AsyncEngine | None = None) -> None:
        self.engine = engine
        self.read_engine = read_engine or engine

    @property
    def is_sqlite(self) -> bool:
        return self.engine.dialect.name == "sqlite"

    @asynccontextmanager
    async def connect(self) -> AsyncIterator[AsyncConnection]:
        async with self.read_engine.connect() as conn:
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
        """`SELECT 1` answers. A pool with every connection out is serving requests, which fail on their own
        if the database goes: the probe does not queue behind them, or under load the gateway would take
        a busy instance for a dead one and drop it from its pool."""
        if self.busy():
            return
        async with self.read_engine.connect() as conn:
            await conn.execute(text("SELECT 1"))

    def busy(self) -> bool:
        pool = self.read_engine.pool
        size = getattr(pool, "size", None)
        return size is not None and pool.checkedout() >= size()  # type: ignore[attr-defined]

    async def dispose(self) -> None:
        await self.engine.dispose()
        if self.read_engine is not self.engine:
            await self.read_engine.dispose()
