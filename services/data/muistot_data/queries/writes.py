"""SQL of the contributor writes: sites, memories and comments (the routes in `routes/*_writes.py`)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import delete, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from muistot.db.engine import utcnow
from muistot.db.tables import comments, memories, sites
from muistot.text import fold

CONTENT_TABLES = {"site": sites, "memory": memories, "comment": comments}


async def site_taken(conn: AsyncConnection, project_id: int, name: str) -> bool:
    """Site ids are unique per project, folded."""
    found = await conn.scalar(select(sites.c.id).where(sites.c.project_id == project_id,
                                                       sites.c.name_key == fold(name)))
    return found is not None


async def insert_site(conn: AsyncConnection, *, project_id: int, name: str, image_id: int | None, state: str,
                      lat: float, lon: float, user_id: int) -> int:
    now = utcnow()
    result = await conn.execute(sites.insert().values(
        project_id=project_id, name=name, name_key=fold(name), image_id=image_id, state=state, lat=lat, lon=lon,
        creator_id=user_id, modifier_id=user_id, created_at=now, modified_at=now))
    return int(result.inserted_primary_key[0])


async def insert_memory(conn: AsyncConnection, *, site_id: int, user_id: int, image_id: int | None, title: str,
                        story: str | None, state: str) -> int:
    now = utcnow()
    result = await conn.execute(memories.insert().values(
        site_id=site_id, user_id=user_id, image_id=image_id, title=title, story=story, state=state,
        created_at=now, modified_at=now))
    return int(result.inserted_primary_key[0])


async def insert_comment(conn: AsyncConnection, *, memory_id: int, user_id: int, text: str, state: str) -> int:
    now = utcnow()
    result = await conn.execute(comments.insert().values(
        memory_id=memory_id, user_id=user_id, comment=text, state=state, created_at=now, modified_at=now))
    return int(result.inserted_primary_key[0])


async def change(conn: AsyncConnection, kind: str, item_id: int, values: dict[str, Any]) -> None:
    """Update a site, memory or comment; `modified_at` is stamped here."""
    table = CONTENT_TABLES[kind]
    await conn.execute(update(table).where(table.c.id == item_id).values(modified_at=utcnow(), **values))


async def remove(conn: AsyncConnection, kind: str, item_id: int) -> None:
    """Hard delete; the schema's cascades take what hangs below."""
    table = CONTENT_TABLES[kind]
    await conn.execute(delete(table).where(table.c.id == item_id))


async def memory_images(conn: AsyncConnection, site_id: int) -> list[int]:
    """Images of a site's memories (released when the site goes)."""
    rows = await conn.scalars(select(memories.c.image_id).where(memories.c.site_id == site_id,
                                                                memories.c.image_id.is_not(None)))
    return [int(image_id) for image_id in rows]
