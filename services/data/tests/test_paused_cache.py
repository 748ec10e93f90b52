"""A cache Redis that refuses the invalidation (writes paused) fails the write cleanly: 503, nothing stored.

The test runs its own redis-server (the `own_redis` fixture), so pausing it touches nobody else's tests.
"""

from __future__ import annotations

from redis.asyncio import Redis
from sqlalchemy import select

from muistot.db.tables import memories
from muistot_tooling.testing.plugin import running


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
