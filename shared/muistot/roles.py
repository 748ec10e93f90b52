"""Who may do what: live checks against the database (privileges are never frozen in a session)."""

from __future__ import annotations

import enum
from dataclasses import dataclass

from sqlalchemy import bindparam, exists, or_, select, union_all
from sqlalchemy.ext.asyncio import AsyncConnection

from muistot.db.tables import project_admins, project_moderators, superusers
from muistot.errors import ApiError
from muistot.identity import Principal


class Role(enum.IntEnum):
    """A person's standing in one project, ordered so that `role >= Role.moderator` reads naturally."""

    anonymous = 0
    user = 1
    moderator = 2
    admin = 3
    superuser = 4


@dataclass(frozen=True)
class Standing:
    """A person's privileges across projects: superuser, and admin or moderator of at least one project."""

    superuser: bool = False
    staff: bool = False

    @property
    def privileged(self) -> bool:
        return self.superuser or self.staff


STANDING = select(exists().where(superusers.c.user_id == bindparam("user_id")).label("superuser"),
                  or_(exists().where(project_admins.c.user_id == bindparam("user_id")),
                      exists().where(project_moderators.c.user_id == bindparam("user_id"))).label("staff"))


async def standing(conn: AsyncConnection, user: Principal | None) -> Standing:
    """Read live, in one statement (anonymous callers have none)."""
    if user is None:
        return Standing()
    row = (await conn.execute(STANDING, {"user_id": user.user_id})).one()
    return Standing(superuser=bool(row.superuser), staff=bool(row.staff))


async def is_superuser(conn: AsyncConnection, user_id: int) -> bool:
    """Live from the database: the flag in a session is only shown, never trusted."""
    return bool(await conn.scalar(select(exists().where(superusers.c.user_id == user_id))))


# The original's 403 for a caller without the `admin` session scope (docs/contract.md, "Quirks kept").
ADMIN_SCOPE_MISSING = ("Required (authenticated,admin)", "Got (authenticated)")


async def has_admin_scope(conn: AsyncConnection, user: Principal) -> bool:
    """The live twin of the original's `admin` scope: a superuser, or staff (admin or moderator) anywhere."""
    query = select(or_(
        exists().where(superusers.c.user_id == user.user_id),
        exists().where(project_admins.c.user_id == user.user_id),
        exists().where(project_moderators.c.user_id == user.user_id),
    ))
    return bool(await conn.scalar(query))


async def require_admin_scope(conn: AsyncConnection, user: Principal) -> None:
    """403 before any existence check for callers who manage nothing (docs/contract.md, "Order of checks", step 5)."""
    if not await has_admin_scope(conn, user):
        raise ApiError(403, "Unauthorized", ADMIN_SCOPE_MISSING)


SUPERUSER_REQUIRED = "superuser required"


async def require_superuser(conn: AsyncConnection, user: Principal) -> None:
    if not await is_superuser(conn, user.user_id):
        raise ApiError(403, "Not enough privileges", [SUPERUSER_REQUIRED])


async def project_role(conn: AsyncConnection, user: Principal | None, project_id: int) -> Role:
    """The caller's role in a project, read from the database in one statement."""
    if user is None:
        return Role.anonymous
    query = union_all(
        select(Role.superuser.value).where(superusers.c.user_id == user.user_id),
        select(Role.admin.value).where(project_admins.c.user_id == user.user_id,
                                       project_admins.c.project_id == project_id),
        select(Role.moderator.value).where(project_moderators.c.user_id == user.user_id,
                                           project_moderators.c.project_id == project_id),
    )
    found = [row[0] for row in await conn.execute(query)]
    return Role(max(found)) if found else Role.user
