"""A table locked by another connection, as a long migration or a stuck transaction would hold it: for tests
of what a write does when the database makes it wait."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import Any

from sqlalchemy import text

from muistot.db.engine import create_engine
from muistot.settings import Settings


@asynccontextmanager
async def locked_table(settings: Settings, table: str) -> AsyncIterator[Callable[[], Any]]:
    """Hold `LOCK TABLES <table> WRITE` on a connection of our own until the block ends."""
    engine = create_engine(settings, bounded=False)
    try:
        async with engine.connect() as conn:
            await conn.execute(text(f"LOCK TABLES {table} WRITE"))
            try:
                yield conn
            finally:
                await conn.execute(text("UNLOCK TABLES"))
    finally:
        await engine.dispose()


async def wait_for_writers_to_finish(settings: Settings, table: str) -> None:
    """Taking the write lock again waits until every transaction that touched the table has ended."""
    async with locked_table(settings, table):
        pass
