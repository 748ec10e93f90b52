"""Which projects a caller may moderate: the scope of the queue and the audit log (live from the DB)."""

from __future__ import annotations

from sqlalchemy import select, union
from sqlalchemy.ext.asyncio import AsyncConnection

from muistot.content.access import load_chain
from muistot.db.tables import project_admins, project_moderators
from muistot.errors import ApiError
from muistot.identity import Principal
from muistot.roles import Role, is_superuser


async def staff_projects(conn: AsyncConnection, user: Principal, project: str | None) -> list[int] | None:
    """Project ids the caller moderates, or None for "every project" (a superuser without `project=`).

    With `project=`: that project alone, 404 if it is missing or hidden from the caller, 403 if they
    are not its moderator, admin or a superuser. Without it: 403 for callers who moderate nothing.
    """
    if project is not None:
        chain = await load_chain(conn, user, project)
        chain.require(owner=False, min_role=Role.moderator)
        return [chain.project.id]
    if await is_superuser(conn, user.user_id):
        return None
    rows = await conn.execute(union(
        select(project_admins.c.project_id).where(project_admins.c.user_id == user.user_id),
        select(project_moderators.c.project_id).where(project_moderators.c.user_id == user.user_id),
    ))
    ids = [int(row[0]) for row in rows]
    if not ids:
        raise ApiError(403, "Not enough privileges", ["requires moderator"])
    return ids
