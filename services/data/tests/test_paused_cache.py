"""A cache Redis that refuses the invalidation (writes paused) fails the write cleanly: 503, nothing stored.

The test starts its own redis-server on a spare port, so pausing it touches nobody else's tests.
"""

from __future__ import annotations

import asyncio
import shutil
import socket
from collections.abc import AsyncIterator

import pytest
import pytest_asyncio
from redis.asyncio import Redis
from redis.exceptions import ConnectionError as RedisConnectionError
from sqlalchemy import select

from muistot.db.tables import memories
from muistot_tooling.testing.plugin import running


def spare_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest_asyncio.fixture
async def own_redis() -> AsyncIterator[str]:
    """The URL of a redis-server of this test alone (no persistence), stopped afterwards."""
    binary = shutil.which("redis-server")
    if binary is None:
        pytest.fail("redis-server is needed for this test")
    port = spare_port()
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


async def title_in_db(db, memory_id: int) -> str:
    async with db.connect() as conn:
        return await conn.scalar(select(memories.c.title).where(memories.c.id == memory_id))


async def test_a_write_whose_invalidation_is_refused_is_503_and_rolled_back(service_app_with, own_redis, db, world,
                                                                           content):
    site, site_id = await content.site(world.project_id, creator=world.admin)
    memory = await content.memory(site_id, author=world.owner, title="Vanha")
    path = f"/projects/{world.project}/sites/{site}/memories/{memory}"
    cache = Redis.from_url(own_redis)
    app = service_app_with("data")(cache_redis_url=own_redis, redis_timeout=0.5)
    try:
        async with running(app) as client:
            assert (await client.get(path)).json()["title"] == "Vanha"  # cached for anonymous readers
            assert (await client.get(path)).json()["title"] == "Vanha"
            await cache.execute_command("CLIENT", "PAUSE", 3000, "WRITE")
            refused = await client.patch(path, json={"title": "Uusi"}, headers=world.owner.headers)
            assert refused.status_code == 503
            assert refused.json() == {"error": {"code": 503, "message": "Lost Connection to Redis"}}
            assert refused.headers["retry-after"]
            assert await title_in_db(db, memory) == "Vanha"
            assert (await client.get(path)).json()["title"] == "Vanha"
            await cache.execute_command("CLIENT", "UNPAUSE")
            accepted = await client.patch(path, json={"title": "Uusi"}, headers=world.owner.headers)
            assert accepted.status_code == 204
            assert (await client.get(path)).json()["title"] == "Uusi"  # anonymous readers see it at once
    finally:
        await cache.aclose()
