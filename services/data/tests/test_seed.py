"""`muistot seed --demo`: a small demo set on MariaDB (read back through the API) and on SQLite."""

from __future__ import annotations

import asyncio

from sqlalchemy import func, select

from muistot import migrate
from muistot.db.engine import Database, create_engine
from muistot.db.tables import comments, memories, sites
from muistot.seed import seed_demo
from muistot.settings import Settings


async def test_seed_small_set_is_readable(data, test_settings):
    counts = await seed_demo(test_settings, scale=0.001, seed=7)
    assert counts.projects == 1 and counts.users == 10 and counts.sites >= 10
    assert counts.memories >= counts.sites and counts.comments >= counts.memories
    listed = (await data.get("/projects", headers={"Accept-Language": "en"})).json()["items"]
    demo = [project for project in listed if project["id"].startswith("demo-")]
    assert demo and demo[-1]["info"]["lang"] == "en" and demo[-1]["sites_count"] > 0
    site = (await data.get(f"/projects/{demo[-1]['id']}/sites")).json()["items"][0]
    assert site["info"]["lang"] == "fi"
    found = (await data.get(f"/projects/{demo[-1]['id']}/sites/{site['id']}/memories")).json()["items"]
    assert len(found) <= 25


async def test_seed_on_sqlite(tmp_path):
    settings = Settings(env="test", var_dir=tmp_path, database_url=f"sqlite+aiosqlite:///{tmp_path}/demo.sqlite3",
                        redis_url="redis://127.0.0.1:6379/0", redis_prefix="seedtest:")
    await asyncio.to_thread(migrate.upgrade, settings)  # Alembic runs its own event loop
    counts = await seed_demo(settings, scale=0.01, seed=3)
    database = Database(create_engine(settings))
    try:
        async with database.connect() as conn:
            assert await conn.scalar(select(func.count()).select_from(sites)) == counts.sites
            assert await conn.scalar(select(func.count()).select_from(memories)) == counts.memories
            assert await conn.scalar(select(func.count()).select_from(comments)) == counts.comments
    finally:
        await database.dispose()
