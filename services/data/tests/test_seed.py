"""`muistot-dev seed --demo`: a small demo set on MariaDB (read back through the API) and on SQLite."""

from __future__ import annotations

import asyncio
import io
import secrets
from dataclasses import replace

from PIL import Image
from sqlalchemy import case, func, select

from muistot import migrate
from muistot.db.engine import Database, create_engine
from muistot.db.tables import comments, images, memories, site_information, sites
from muistot.settings import Settings
from muistot_tooling.seed import PROFILES, seed_demo
from muistot_tooling.testing.servers import REDIS_SERVER, drop_redis_prefix


async def test_the_demo_looks_like_a_museums(data, test_settings):
    """Themed projects, real places in Finnish and English, stories people could tell, and photos served."""
    tag = secrets.token_hex(3)
    counts = await seed_demo(test_settings, scale=0.001, seed=7, tag=tag)
    assert counts.projects == 1 and counts.users == 10 and counts.sites >= 10
    assert counts.memories >= counts.sites and counts.comments >= counts.memories and counts.photos > 0
    project = f"helsinki-1952-{tag}"
    shown = (await data.get(f"/projects/{project}", headers={"Accept-Language": "en"})).json()
    assert shown["info"]["name"] == "Helsinki's Olympic summer 1952" and 0 < shown["sites_count"] <= counts.sites
    stadium_fi = (await data.get(f"/projects/{project}/sites/olympiastadion")).json()
    stadium_en = (await data.get(f"/projects/{project}/sites/olympiastadion",
                                 headers={"Muistot-Language": "en"})).json()
    assert (stadium_fi["info"]["name"], stadium_en["info"]["name"]) == ("Olympiastadion", "Olympic Stadium")
    assert 60.1 < stadium_fi["location"]["lat"] < 60.25 and 24.8 < stadium_fi["location"]["lon"] < 25.1
    photo = await data.get(f"/images/{stadium_fi['image']}")
    assert photo.status_code == 200 and photo.headers["content-type"] == "image/jpeg"
    assert Image.open(io.BytesIO(photo.content)).size == (480, 320)
    memories = (await data.get(f"/projects/{project}/sites/olympiastadion/memories")).json()["items"]
    assert 1 <= len(memories) <= 25
    assert all("vei minut" in memory["story"] or "took me" in memory["story"] for memory in memories)


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
    assert counts == again and texts == texts_again and counts.photos == 0  # no photos: seeding stays fast
    assert counts.users == 30 and counts.projects == 3
    (_, rows, shortest, published), *others = per_project
    assert rows == 2 * 4 and published == rows and shortest >= 8000  # two languages per site
    assert all(2 * 22 <= rows <= 2 * 100 and shortest < 8000 for _, rows, shortest, _ in others)
    assert PROFILES["bench"].scaled(0.1).long_projects == 1 and PROFILES["demo"].long_projects == 0


async def test_the_demo_is_the_same_for_a_seed(tmp_path):
    """Same seed and tag, same data set: texts, places and the photos' bytes."""
    found = []
    for run in ("a", "b"):
        directory = tmp_path / run
        directory.mkdir()
        settings = Settings(env="test", var_dir=directory, database_url=f"sqlite+aiosqlite:///{directory}/d.sqlite3",
                            redis_url=REDIS_SERVER, redis_prefix=f"seedtest{secrets.token_hex(4)}:")
        await asyncio.to_thread(migrate.upgrade, settings)
        counts = await seed_demo(settings, scale=0.002, seed=11, tag="same")
        database = Database(create_engine(settings))
        try:
            async with database.connect() as conn:
                stories = (await conn.execute(select(memories.c.title, memories.c.story, memories.c.image_id)
                                              .order_by(memories.c.id))).all()
                names = (await conn.execute(select(images.c.file_name).order_by(images.c.id))).scalars().all()
        finally:
            await database.dispose()
            await drop_redis_prefix(settings)
        photos = [(directory / "files" / name).read_bytes() for name in names]
        found.append((counts, stories, names, photos))
    assert found[0] == found[1] and found[0][0].photos == len(found[0][3]) > 0
