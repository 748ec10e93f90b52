"""Publishing: the per-resource `…/publish?publish=` endpoints and the generic `POST /admin/publish`.

Rights are checked live: project admins and superusers publish projects; moderators, admins and
superusers publish sites, memories and comments. Every change bumps the project's cache generation
after the commit, `/admin/publish` included (the original never evicted there).
"""

from __future__ import annotations

from fastapi import APIRouter, Request, Response

from muistot.auth import MaybeUser, signed_in
from muistot.content import generations
from muistot.content.ids import CommentPath, MemoryPath, ProjectPath, SitePath
from muistot.content.urls import location
from muistot.errors import ApiError
from muistot.identity import Principal
from muistot.openapi import errors, nothing_changed
from muistot.roles import Role, is_superuser, require_admin_scope
from muistot_admin.common import unchanged
from muistot_admin.orders import Order
from muistot_admin.params import PublishFlag
from muistot_admin.publishing import publish_target
from muistot_admin.targets import load_managed_chain, load_order_chain, url_parts

router = APIRouter(tags=["publishing"])
comment_router = APIRouter(tags=["publishing"])  # not mounted when MUISTOT_DISABLE_COMMENTS is set (§9)
UNCHANGED = {**nothing_changed("Already in that state"), **errors(
    401, (403, "Unauthorized", "Not enough privileges"), (404, "Project not found", "Site not found",
                                                         "Memory not found", "Comment not found"))}


def needed_role(kind: str) -> Role:
    """Publishing a project is a project setting (admins); content review is for moderators too."""
    return Role.admin if kind == "project" else Role.moderator


async def _publish(request: Request, user: Principal, publish: bool, project: str, site: str | None = None,
                   memory: int | None = None, comment: int | None = None) -> Response:
    state = request.app.state
    kind = "comment" if comment else "memory" if memory else "site" if site else "project"
    async with state.db.transaction() as conn:
        chain = await load_managed_chain(conn, user, needed_role(kind), project, site, memory, comment)
        changed = await publish_target(conn, chain, publish, user)
    if not changed:
        return unchanged()
    await generations.bump(state.redis, chain.project.name)
    return Response(status_code=204, headers={"Location": location(request, *url_parts(chain))})


@router.post("/projects/{project}/publish", status_code=204, responses=UNCHANGED)
async def publish_project(request: Request, project: ProjectPath, publish: PublishFlag, user: MaybeUser) -> Response:
    return await _publish(request, signed_in(user), publish, project)


@router.post("/projects/{project}/sites/{site}/publish", status_code=204, responses=UNCHANGED)
async def publish_site(request: Request, project: ProjectPath, site: SitePath, publish: PublishFlag,
                       user: MaybeUser) -> Response:
    return await _publish(request, signed_in(user), publish, project, site)


@router.post("/projects/{project}/sites/{site}/memories/{memory}/publish", status_code=204, responses=UNCHANGED)
async def publish_memory(request: Request, project: ProjectPath, site: SitePath, memory: MemoryPath,
                         publish: PublishFlag, user: MaybeUser) -> Response:
    return await _publish(request, signed_in(user), publish, project, site, memory)


@comment_router.post("/projects/{project}/sites/{site}/memories/{memory}/comments/{comment}/publish",
                     status_code=204, responses=UNCHANGED)
async def publish_comment(request: Request, project: ProjectPath, site: SitePath, memory: MemoryPath,
                          comment: CommentPath, publish: PublishFlag, user: MaybeUser) -> Response:
    return await _publish(request, signed_in(user), publish, project, site, memory, comment)


@router.post("/admin/publish", status_code=204, responses={**nothing_changed("Already in that state"), **errors(
    401, (403, "Unauthorized", "Not enough privileges"), (404, "Not Found"))})
async def publish_order(request: Request, order: Order, user: MaybeUser) -> Response:
    """Publish or unpublish anything named by an order; 204 changed, 304 unchanged, no `Location`."""
    caller = signed_in(user)
    state = request.app.state
    refused = ApiError(403, f"Unauthorized {caller.username}", [f"Order: {order.project}"])
    async with state.db.transaction() as conn:
        # Rights first (live, never from the session), then the rest of the chain: a caller without
        # rights in the project learns nothing about it, not even whether it exists (§5.2).
        await require_admin_scope(conn, caller)
        try:
            project = await load_order_chain(conn, caller, {"project": order.project})
        except ApiError:
            if not await is_superuser(conn, caller.user_id):
                raise refused from None
            raise
        if project.viewer.role < needed_role(order.type):
            raise refused
        chain = await load_order_chain(conn, caller, order.chain())
        changed = await publish_target(conn, chain, order.publish, caller)
    if not changed:
        return unchanged()
    await generations.bump(state.redis, chain.project.name)
    return Response(status_code=204)
