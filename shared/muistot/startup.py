"""Start-up checks that turn an unreachable database or Redis into a one-line message."""

from __future__ import annotations

import asyncio
import sys
import time

from redis.exceptions import RedisError

from muistot.db.engine import create_engine
from muistot.db.schema import SCHEMA_REVISION, ensure_sqlite_dir
from muistot.redis import RedisClients
from muistot.settings import ConfigError, Settings, redact_url


async def _retry(probe, wait: float) -> Exception | None:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + wait
    while True:
        try:
            await probe()
            return None
        except Exception as exc:  # reported as one line below
            if time.monotonic() >= deadline:
                return exc
            await asyncio.sleep(0.5)


async def check_database(settings: Settings, wait: float = 0, *, migrated: bool = False) -> None:
    """The database answers (and, with `migrated`, carries the newest schema)."""
    ensure_sqlite_dir(settings)
    engine = create_engine(settings)

    async def probe() -> None:
        async with engine.connect() as conn:
            await conn.exec_driver_sql("SELECT 1")

    current: str | None = None
    try:
        error = await _retry(probe, wait)
        if error is None and migrated:
            async with engine.connect() as conn:
                try:
                    current = (await conn.exec_driver_sql("SELECT version_num FROM alembic_version")).scalar()
                except Exception:  # no table: never migrated
                    current = None
    finally:
        await engine.dispose()
    if error is not None:
        reason = str(getattr(error, "orig", None) or error).splitlines()[0]
        raise ConfigError(f"cannot reach the database at {redact_url(settings.database_url)}: {reason}")
    if migrated and current != SCHEMA_REVISION:
        raise ConfigError(f"the database at {redact_url(settings.database_url)} is at schema revision "
                          f"{current or 'none'}, not {SCHEMA_REVISION}: run `muistot migrate`")


async def check_redis(settings: Settings, wait: float = 0) -> None:
    clients = RedisClients.from_settings(settings)
    try:
        error = await _retry(clients.ping, wait)
        persists = await sessions_persist(clients) if error is None and settings.env == "prod" else None
    finally:
        await clients.close()
    if error is not None:
        raise ConfigError(f"cannot reach Redis at {redact_url(settings.session_redis_url)}: "
                          f"{str(error).splitlines()[0]}")
    if persists is False:
        print(f"muistot: warning: the session Redis at {redact_url(settings.session_redis_url)} keeps no "
              "append-only file (appendonly no): a restart of it ends every session", file=sys.stderr)


async def sessions_persist(clients: RedisClients) -> bool | None:
    """Whether the session Redis writes an append-only file; None when it will not say (INFO disabled)."""
    try:
        info = await clients.sessions.info("persistence")
    except RedisError:
        return None
    return bool(int(info.get("aof_enabled", 0)))
