"""Alembic environment: runs migrations over the async engine of the configured database."""

from __future__ import annotations

import asyncio

from alembic import context
from sqlalchemy import text
from sqlalchemy.engine import Connection

from muistot.db.engine import create_engine
from muistot.db.tables import metadata
from muistot.settings import Settings

config = context.config
target_metadata = metadata


def _settings() -> Settings:
    url = config.attributes.get("database_url")
    return Settings(database_url=url) if url else Settings()


# One migration at a time per database: every pod's init container runs `muistot migrate` on an upgrade
# (docs/operations.md), so the first takes MariaDB's named lock and migrates, and the others wait for it and
# then find the schema at head. SQLite is only ever migrated by the one `make run`.
LOCK_SECONDS = 600


def _lock(connection: Connection) -> None:
    if connection.dialect.name != "mysql":
        return
    got = connection.execute(text("SELECT GET_LOCK(CONCAT('muistot-migrate:', DATABASE()), :seconds)"),
                             {"seconds": LOCK_SECONDS}).scalar()
    if got != 1:
        raise RuntimeError(f"another `muistot migrate` held the migration lock for {LOCK_SECONDS} s")


def _unlock(connection: Connection) -> None:
    if connection.dialect.name == "mysql":
        connection.execute(text("SELECT RELEASE_LOCK(CONCAT('muistot-migrate:', DATABASE()))"))


def _run(connection: Connection) -> None:
    context.configure(connection=connection, target_metadata=target_metadata, compare_type=True,
                      render_as_batch=connection.dialect.name == "sqlite")
    with context.begin_transaction():
        context.run_migrations()


async def _run_async() -> None:
    # Not bounded like requests: a migration may wait for running transactions and take its time.
    engine = create_engine(_settings(), bounded=False)
    async with engine.connect() as connection:
        await connection.run_sync(_lock)
        try:
            await connection.run_sync(_run)
            await connection.commit()  # the version row is committed before the next one may look
        finally:
            await connection.run_sync(_unlock)
    await engine.dispose()


def run_migrations_online() -> None:
    connection = config.attributes.get("connection")
    if connection is not None:
        _run(connection)
    else:
        asyncio.run(_run_async())


if context.is_offline_mode():
    context.configure(url=_settings().normalized_database_url, target_metadata=target_metadata,
                      literal_binds=True)
    with context.begin_transaction():
        context.run_migrations()
else:
    run_migrations_online()
