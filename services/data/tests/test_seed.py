"""`muistot seed --demo`: a small demo set on MariaDB (read back through the API) and on SQLite."""

from __future__ import annotations

import asyncio
import secrets
from dataclasses import replace

from sqlalchemy import case, func, select

from muistot import migrate
from muistot.db.engine import Database, create_engine
from muistot.db.tables import comments, memories, site_information, sites
from muistot.seed import PROFILES, seed_demo
from muistot.settings import Settings
from muistot.testing.servers import REDIS_SERVER, drop_redis_prefix


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


async def _seed_sqlite(directory, profile, seed):  # type: ignore[no-untyped-def]
    settings = Settings(env="test", var_dir=directory, database_url=f"sqlite+aiosqlite:///{directory}/s.sqlite3",
                        redis_url=REDIS_SERVER, redis_prefix=f"seedtest{secrets.token_hex(4)}:")
    await asyncio.to_thread(migrate.upgrade, settings)
    counts = await seed_demo(settings, seed=seed, profile=profile, tag="t")
    database = Database(create_engine(settings))
    try:
        async with database.connect() as conn:
            per_project = (await conn.execute(
                select(sites.c.project_id, func.count(), func.min(func.length(site_information.c.description)),
                       func.sum(case((sites.c.state == "published", 1), else_=0)))
                .join(site_information, site_information.c.site_id == sites.c.id)
                .group_by(sites.c.project_id).order_by(sites.c.project_id))).all()
            texts = (await conn.execute(select(site_information.c.description).order_by(
                site_information.c.site_id, site_information.c.lang))).scalars().all()
    finally:
        await database.dispose()
        await drop_redis_prefix(settings)
    return counts, per_project, texts


async def test_bench_profile_has_a_long_project_and_is_repeatable(tmp_path):
    """The bench's volume profile at a small scale: the first project's sites have ~8 KB descriptions, all
    published; the others follow the ranges; the same seed gives the same data."""
    small = replace(PROFILES["bench"], users=30, projects=3, long_project_sites=4)
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    counts, per_project, texts = await _seed_sqlite(tmp_path / "a", small, 5)
    again, _, texts_again = await _seed_sqlite(tmp_path / "b", small, 5)
    assert counts == again and texts == texts_again
    assert counts.users == 30 and counts.projects == 3
    (_, rows, shortest, published), *others = per_project
    assert rows == 2 * 4 and published == rows and shortest >= 8000  # two languages per site
    assert all(2 * 22 <= rows <= 2 * 100 and shortest < 8000 for _, rows, shortest, _ in others)
    assert PROFILES["bench"].scaled(0.1).long_projects == 1 and PROFILES["demo"].long_projects == 0
