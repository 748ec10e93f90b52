"""The connection pool hands out live connections without a round trip per request."""

import asyncio

from sqlalchemy import text

from muistot.db.engine import IDLE_PING_SECONDS, create_engine
from muistot_tooling.testing.plugin import _admin_execute


async def test_a_connection_killed_while_idle_is_replaced_before_use(test_settings):
    engine = create_engine(test_settings, pool_size=1, max_overflow=0)
    try:
        async with engine.connect() as conn:
            first = await conn.scalar(text("SELECT CONNECTION_ID()"))
        _admin_execute(f"KILL CONNECTION {int(first)}")  # the server drops it, as a restart would
        await asyncio.sleep(IDLE_PING_SECONDS + 0.5)
        async with engine.connect() as conn:
            second = await conn.scalar(text("SELECT CONNECTION_ID()"))
        assert second != first
    finally:
        await engine.dispose()


async def test_a_busy_connection_is_reused_without_a_ping(test_settings):
    """The server counts a COM_PING of the session in `Com_admin_commands`: in steady use there is none."""
    engine = create_engine(test_settings, pool_size=1, max_overflow=0)
    try:
        for _ in range(3):
            async with engine.connect() as conn:
                pings = await conn.execute(text("SHOW SESSION STATUS LIKE 'Com_admin_commands'"))
        assert pings.one()[1] == "0"
    finally:
        await engine.dispose()
