"""Writing the per-language texts (name, abstract, description) of projects and sites: one rule for both."""

from __future__ import annotations

from typing import Literal

from sqlalchemy import Table, update
from sqlalchemy.ext.asyncio import AsyncConnection

from muistot.content.texts import InfoBody
from muistot.db.engine import utcnow
from muistot.db.tables import project_information, site_information

INFO_TABLES: dict[str, tuple[Table, str]] = {
    "project": (project_information, "project_id"),
    "site": (site_information, "site_id"),
}


async def put_info(conn: AsyncConnection, kind: Literal["project", "site"], owner_id: int, info: InfoBody,
                   user_id: int) -> None:
    """Create or overwrite the row of `info.lang` (the whole row: fields left out are cleared)."""
    table, owner = INFO_TABLES[kind]
    now = utcnow()
    values = {"name": info.name, "abstract": info.abstract, "description": info.description,
              "modifier_id": user_id, "modified_at": now}
    changed = await conn.execute(update(table).where(table.c[owner] == owner_id, table.c.lang == info.lang)
                                 .values(**values))
    if changed.rowcount == 0:
        await conn.execute(table.insert().values({owner: owner_id, "lang": info.lang, "created_at": now, **values}))
