"""Project admins and moderators: `POST`/`DELETE /projects/{p}/admins|moderators?username=`.

Only the project's admins and superusers manage roles. Roles are read from the database on every
request, so a change applies to that user's very next request; nothing is cached in sessions.
"""

from __future__ import annotations

from fastapi import APIRouter, Request, Response
from sqlalchemy import Table, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection

from muistot import audit
from muistot.accounts import user_by_username
from muistot.auth import MaybeUser, signed_in
from muistot.content import generations
from muistot.content.ids import ProjectPath
from muistot.content.urls import location
from muistot.db.engine import utcnow
from muistot.db.tables import project_admins, project_moderators
from muistot.errors import ApiError
from muistot.openapi import errors
from muistot.roles import Role
from muistot_admin.params import Username
from muistot_admin.targets import load_managed_chain

router = APIRouter(tags=["roles"])
REMOVAL_ERRORS = errors(401, (403, "Unauthorized", "Not enough privileges"),
                        (404, "Project not found", "User not found"))
GRANT_ERRORS = {**REMOVAL_ERRORS, **errors((409, "User is already an admin", "User is already a moderator"))}

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


async def _change_role(request: Request, project: str, username: str, user: MaybeUser, role: str,
                       add: bool) -> Response:
    caller = signed_in(user)
    table, label = ROLE_TABLES[role]
    singular = role.removesuffix("s")
    state = request.app.state
    async with state.db.transaction() as conn:
        chain = await load_managed_chain(conn, caller, Role.admin, project)
        user_id, stored_name = await find_user(conn, username)
        where = (table.c.project_id == chain.project.id, table.c.user_id == user_id)
        present = await conn.scalar(select(table.c.user_id).where(*where)) is not None
        if add:
            if present:
                raise ApiError(409, f"User is already {label}")
            try:
                await conn.execute(table.insert().values(project_id=chain.project.id, user_id=user_id,
                                                         created_at=utcnow()))
            except IntegrityError:  # granted by a concurrent request since the check above
                raise ApiError(409, f"User is already {label}") from None
        elif present:
            await conn.execute(table.delete().where(*where))
        if add or present:
            await audit.record(conn, actor=caller, action=f"{'add' if add else 'remove'}_{singular}",
                               target_type="user", target_id=stored_name, project_id=chain.project.id,
                               before={singular: present}, after={singular: add})
    if role == "admins" and (add or present):
        await generations.bump(state.redis, chain.project.name)  # project responses list their admins
    return Response(status_code=201 if add else 204,
                    headers={"Location": location(request, "projects", chain.project.name)})


@router.post("/projects/{project}/admins", status_code=201, response_class=Response, responses=GRANT_ERRORS)
async def add_admin(request: Request, project: ProjectPath, username: Username, user: MaybeUser) -> Response:
    return await _change_role(request, project, username, user, "admins", add=True)


@router.delete("/projects/{project}/admins", status_code=204, responses=REMOVAL_ERRORS)
async def remove_admin(request: Request, project: ProjectPath, username: Username, user: MaybeUser) -> Response:
    return await _change_role(request, project, username, user, "admins", add=False)


@router.post("/projects/{project}/moderators", status_code=201, response_class=Response,
             responses=GRANT_ERRORS)
async def add_moderator(request: Request, project: ProjectPath, username: Username, user: MaybeUser) -> Response:
    return await _change_role(request, project, username, user, "moderators", add=True)


@router.delete("/projects/{project}/moderators", status_code=204, responses=REMOVAL_ERRORS)
async def remove_moderator(request: Request, project: ProjectPath, username: Username, user: MaybeUser) -> Response:
    return await _change_role(request, project, username, user, "moderators", add=False)
