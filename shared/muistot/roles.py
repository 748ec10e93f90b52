"""Who may do what: live checks against the database (privileges are never frozen in a session)."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncConnection

from muistot.db.tables import superusers
from muistot.errors import ApiError
from muistot.identity import Principal


async def is_superuser(conn: AsyncConnection, user: Principal | None) -> bool:
    if user is None:
        return False
    found = await conn.scalar(select(superusers.c.user_id).where(superusers.c.user_id == user.user_id))
    return found is not None


async def require_superuser(conn: AsyncConnection, user: Principal) -> None:
    if not await is_superuser(conn, user):
        raise ApiError(403, "Not enough privileges", ["superuser required"])
