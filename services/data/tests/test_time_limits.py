"""Bounded waits: a write held up by a locked table answers 503 and is rolled back, never committed later.

A second connection holds `LOCK TABLES memories WRITE`, as a long migration or a stuck transaction
would. The request either hits the database's lock-wait timeout (MUISTOT_DB_LOCK_TIMEOUT) or, when that
is longer, its own deadline (MUISTOT_REQUEST_TIMEOUT); either way it answers 503 while the lock is
still held, and once the lock is gone the memory is not there.
"""

from __future__ import annotations

import asyncio
import secrets
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import httpx
from sqlalchemy import select

from muistot.db.engine import create_engine
from muistot.db.tables import memories
from muistot.settings import Settings
from muistot_data.app import create_app
from muistot_tooling.testing.locks import locked_table, wait_for_writers_to_finish
from muistot_tooling.testing.plugin import running


@asynccontextmanager
async def data_app(settings: Settings, **overrides: Any) -> AsyncIterator[httpx.AsyncClient]:
    async with running(create_app(settings.model_copy(update=overrides))) as client:
        yield client


async def stored_titles(settings: Settings, site_id: int) -> list[str]:
    engine = create_engine(settings)
    try:
        async with engine.connect() as conn:
            return list(await conn.scalars(select(memories.c.title).where(memories.c.site_id == site_id)))
    finally:
        await engine.dispose()


async def post_memory(client: httpx.AsyncClient, project: str, site: str, title: str, user: Any) -> httpx.Response:
    return await client.post(f"/projects/{project}/sites/{site}/memories", json={"title": title},
                             headers=user.headers, timeout=60)


async def test_a_lock_wait_timeout_answers_503_and_nothing_is_committed(test_settings, world, content):
    site, site_id = await content.site(world.project_id)
    title = f"blocked {secrets.token_hex(4)}"
    async with data_app(test_settings, db_lock_timeout=1, request_timeout=30) as client:
        async with locked_table(test_settings, "memories"):
            response = await post_memory(client, world.project, site, title, world.owner)
            assert response.status_code == 503
            assert response.json() == {"error": {"code": 503, "message": "Database busy"}}
            assert response.headers["Retry-After"] == "5"
        await wait_for_writers_to_finish(test_settings, "memories")
        assert title not in await stored_titles(test_settings, site_id)
        # The service goes on as before.
        again = await post_memory(client, world.project, site, f"{title} later", world.owner)
        assert again.status_code == 201
    assert f"{title} later" in await stored_titles(test_settings, site_id)


async def test_the_request_deadline_answers_503_and_the_write_is_rolled_back(test_settings, world, content):
    site, site_id = await content.site(world.project_id)
    title = f"too slow {secrets.token_hex(4)}"
    # The lock wait outlasts the deadline here, so the deadline is what ends the request.
    async with data_app(test_settings, db_lock_timeout=60, db_statement_timeout=0, request_timeout=1) as client:
        async with locked_table(test_settings, "memories"):
            response = await post_memory(client, world.project, site, title, world.owner)
            assert response.status_code == 503
            assert response.json() == {"error": {"code": 503, "message": "Request took too long"}}
            assert response.headers["Retry-After"] == "5"
        await wait_for_writers_to_finish(test_settings, "memories")
        assert title not in await stored_titles(test_settings, site_id)
        # Connections the cancelled request used are not handed out half-read: later requests work.
        statuses = await asyncio.gather(*(post_memory(client, world.project, site, f"{title} {n}", world.owner)
                                          for n in range(4)))
        assert statuses and all(r.status_code == 201 for r in statuses)
        listed = await client.get(f"/projects/{world.project}/sites/{site}/memories", headers=world.owner.headers)
        assert listed.status_code == 200
    titles = await stored_titles(test_settings, site_id)
    assert title not in titles and all(f"{title} {n}" in titles for n in range(4))
