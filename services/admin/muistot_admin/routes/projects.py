"""Project lifecycle: `POST /projects`, `PATCH /projects/{p}` and `DELETE /projects/{p}` (soft delete)."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response

from muistot.auth import MaybeUser
from muistot.content import generations
from muistot.content.access import load_chain
from muistot.content.ids import ProjectPath
from muistot.content.urls import location
from muistot.roles import Role
from muistot_admin.common import signed_in
from muistot_admin.publishing import soft_delete_project

router = APIRouter(tags=["projects"])


@router.delete("/projects/{project}", status_code=204)
async def delete_project(request: Request, project: ProjectPath, user: MaybeUser) -> Response:
    """Soft delete: the project is unpublished and marked deleted; publishing it again restores it.

    Always 204 with `Location` = the project list, also when it was already deleted.
    """
    caller = signed_in(user)
    state = request.app.state
    async with state.db.transaction() as conn:
        chain = await load_chain(conn, caller, project)
        chain.require(owner=False, min_role=Role.admin)
        changed = await soft_delete_project(conn, chain.project, caller)
    if changed:
        await generations.bump(state.redis, chain.project.id)
    return Response(status_code=204, headers={"Location": location(request, "projects")})
