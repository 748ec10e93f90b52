"""SQL of project roles and superusers: who holds them, granting and removing."""

from __future__ import annotations

from sqlalchemy import Table, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection

from muistot.accounts import user_by_username
from muistot.db.engine import utcnow
from muistot.db.tables import project_admins, project_moderators, superusers, users
from muistot.errors import ApiError

ROLE_TABLES: dict[str, tuple[Table, str]] = {
    "admins": (project_admins, "an admin"),
    "moderators": (project_moderators, "a moderator"),
}


async def find_user(conn: AsyncConnection, username: str) -> tuple[int, str]:
    """(id, username as stored) or 404 "User not found"."""
    row = await user_by_username(conn, username)
    if row is None:
        raise ApiError(404, "User not found")
    return int(row["id"]), str(row["username"])


async def holds_role(conn: AsyncConnection, role: str, project_id: int, user_id: int) -> bool:
    table, _ = ROLE_TABLES[role]
    found = await conn.scalar(select(table.c.user_id).where(table.c.project_id == project_id,
                                                            table.c.user_id == user_id))
    return found is not None


async def grant_role(conn: AsyncConnection, role: str, project_id: int, user_id: int) -> None:
    """409 "User is already …" when they hold it (granted concurrently included)."""
    table, label = ROLE_TABLES[role]
    try:
        await conn.execute(table.insert().values(project_id=project_id, user_id=user_id, created_at=utcnow()))
    except IntegrityError:
        raise ApiError(409, f"User is already {label}") from None


async def remove_role(conn: AsyncConnection, role: str, project_id: int, user_id: int) -> None:
    table, _ = ROLE_TABLES[role]
    await conn.execute(table.delete().where(table.c.project_id == project_id, table.c.user_id == user_id))


async def superuser_names(conn: AsyncConnection) -> list[str]:
    rows = await conn.execute(select(users.c.username).join(superusers, superusers.c.user_id == users.c.id)
                              .order_by(users.c.username))
    return [row.username for row in rows]


async def grant_superuser(conn: AsyncConnection, user_id: int) -> None:
    try:
        await conn.execute(superusers.insert().values(user_id=user_id, created_at=utcnow()))
    except IntegrityError:  # granted by a concurrent request since the caller's check
        raise ApiError(409, "User is already a superuser") from None


async def locked_superuser_ids(conn: AsyncConnection) -> list[int]:
    """Every superuser, rows locked, so two superusers cannot remove each other at the same moment."""
    return [int(row.user_id) for row in await conn.execute(select(superusers.c.user_id).with_for_update())]


async def remove_superuser(conn: AsyncConnection, user_id: int) -> None:
    await conn.execute(superusers.delete().where(superusers.c.user_id == user_id))
