"""Project admins and moderators: `POST`/`DELETE /projects/{p}/admins|moderators?username=`.

Only the project's admins and superusers manage roles. Roles are read from the database on every
request, so a change applies to that user's very next request; nothing is cached in sessions.
"""

from __future__ import annotations

from fastapi import APIRouter, Request, Response

from muistot.answers import no_content
from muistot.content.ids import ProjectPath
from muistot.deps import MaybeCaller, signed_in
from muistot.errors import ApiError
from muistot.identity import Principal
from muistot.openapi import errors
from muistot.roles import Role
from muistot.urls import location
from muistot.write import Write, WriteDep
from muistot_admin.params import Username
from muistot_admin.queries import roles as queries
from muistot_admin.targets import load_managed_chain

router = APIRouter(tags=["roles"])
REMOVAL_ERRORS = errors(401, (403, "Unauthorized", "Not enough privileges"),
                        (404, "Project not found", "User not found"))
GRANT_ERRORS = {**REMOVAL_ERRORS, **errors((409, "User is already an admin", "User is already a moderator"))}


async def _change_role(request: Request, write: Write, caller: Principal, project: str, username: str, role: str,
                       add: bool) -> Response:
    singular = role.removesuffix("s")
    async with write.unit(caller) as unit:
        chain = await load_managed_chain(unit, Role.admin, project)
        user_id, stored_name = await queries.find_user(unit.conn, username)
        present = await queries.holds_role(unit.conn, role, chain.project.id, user_id)
        if add:
            if present:
                raise ApiError(409, f"User is already {queries.ROLE_TABLES[role][1]}")
            await queries.grant_role(unit.conn, role, chain.project.id, user_id)
        elif present:
            await queries.remove_role(unit.conn, role, chain.project.id, user_id)
        if add or present:  # project responses list their admins: the write path invalidates them
            await unit.audit(action=f"{'add' if add else 'remove'}_{singular}", target_type="user",
                             target_id=stored_name, project_id=chain.project.id, before={singular: present},
                             after={singular: add})
    return no_content(201 if add else 204, location(request, "projects", chain.project.name))


@router.post("/projects/{project}/admins", status_code=201, response_class=Response, responses=GRANT_ERRORS)
async def add_admin(request: Request, project: ProjectPath, username: Username, caller: MaybeCaller,
                    write: WriteDep) -> Response:
    return await _change_role(request, write, signed_in(caller), project, username, "admins", add=True)


@router.delete("/projects/{project}/admins", status_code=204, responses=REMOVAL_ERRORS)
async def remove_admin(request: Request, project: ProjectPath, username: Username, caller: MaybeCaller,
                       write: WriteDep) -> Response:
    return await _change_role(request, write, signed_in(caller), project, username, "admins", add=False)


@router.post("/projects/{project}/moderators", status_code=201, response_class=Response,
             responses=GRANT_ERRORS)
async def add_moderator(request: Request, project: ProjectPath, username: Username, caller: MaybeCaller,
                        write: WriteDep) -> Response:
    return await _change_role(request, write, signed_in(caller), project, username, "moderators", add=True)


@router.delete("/projects/{project}/moderators", status_code=204, responses=REMOVAL_ERRORS)
async def remove_moderator(request: Request, project: ProjectPath, username: Username, caller: MaybeCaller,
                           write: WriteDep) -> Response:
    return await _change_role(request, write, signed_in(caller), project, username, "moderators", add=False)
