"""Publishing: the per-resource `…/publish?publish=` endpoints and the generic `POST /admin/publish`.

Rights are checked live: project admins and superusers publish projects; moderators, admins and
superusers publish sites, memories and comments. Every change invalidates the project's cached reads
through the write path (docs/write-path.md), `/admin/publish` included (the original never evicted there).
"""

from __future__ import annotations

from fastapi import APIRouter, Request, Response

from muistot.answers import no_content
from muistot.content.ids import CommentPath, MemoryPath, ProjectPath, SitePath
from muistot.deps import MaybeCaller, signed_in
from muistot.errors import ApiError
from muistot.identity import Principal
from muistot.openapi import errors, nothing_changed
from muistot.roles import Role, is_superuser, require_admin_scope
from muistot.urls import location
from muistot.write import Write, WriteDep
from muistot_admin.models import Order
from muistot_admin.params import PublishFlag
from muistot_admin.queries.publishing import publish_target
from muistot_admin.targets import load_managed_chain, load_order_chain, url_parts

router = APIRouter(tags=["publishing"])
comment_router = APIRouter(tags=["publishing"])  # not mounted when MUISTOT_DISABLE_COMMENTS is set
UNCHANGED = {**nothing_changed("Already in that state"), **errors(
    401, (403, "Unauthorized", "Not enough privileges"), (404, "Project not found", "Site not found",
                                                         "Memory not found", "Comment not found"))}


def needed_role(kind: str) -> Role:
    """Publishing a project is a project setting (admins); content review is for moderators too."""
    return Role.admin if kind == "project" else Role.moderator


async def _publish(request: Request, write: Write, caller: Principal, publish: bool, project: str,
                   site: str | None = None, memory: int | None = None, comment: int | None = None) -> Response:
    kind = "comment" if comment else "memory" if memory else "site" if site else "project"
    async with write.unit(caller) as unit:
        chain = await load_managed_chain(unit, needed_role(kind), project, site, memory, comment)
        changed = await publish_target(unit, chain, publish)
    if not changed:
        return no_content(304)
    return no_content(204, location(request, *url_parts(chain)))


@router.post("/projects/{project}/publish", status_code=204, responses=UNCHANGED)
async def publish_project(request: Request, project: ProjectPath, publish: PublishFlag, caller: MaybeCaller,
                          write: WriteDep) -> Response:
    return await _publish(request, write, signed_in(caller), publish, project)


@router.post("/projects/{project}/sites/{site}/publish", status_code=204, responses=UNCHANGED)
async def publish_site(request: Request, project: ProjectPath, site: SitePath, publish: PublishFlag,
                       caller: MaybeCaller, write: WriteDep) -> Response:
    return await _publish(request, write, signed_in(caller), publish, project, site)


@router.post("/projects/{project}/sites/{site}/memories/{memory}/publish", status_code=204, responses=UNCHANGED)
async def publish_memory(request: Request, project: ProjectPath, site: SitePath, memory: MemoryPath,
                         publish: PublishFlag, caller: MaybeCaller, write: WriteDep) -> Response:
    return await _publish(request, write, signed_in(caller), publish, project, site, memory)


@comment_router.post("/projects/{project}/sites/{site}/memories/{memory}/comments/{comment}/publish",
                     status_code=204, responses=UNCHANGED)
async def publish_comment(request: Request, project: ProjectPath, site: SitePath, memory: MemoryPath,
                          comment: CommentPath, publish: PublishFlag, caller: MaybeCaller,
                          write: WriteDep) -> Response:
    return await _publish(request, write, signed_in(caller), publish, project, site, memory, comment)


@router.post("/admin/publish", status_code=204, responses={**nothing_changed("Already in that state"), **errors(
    401, (403, "Unauthorized", "Not enough privileges"), (404, "Not Found"))})
async def publish_order(order: Order, caller: MaybeCaller, write: WriteDep) -> Response:
    """Publish or unpublish anything named by an order; 204 changed, 304 unchanged, no `Location`."""
    moderator = signed_in(caller)
    refused = ApiError(403, f"Unauthorized {moderator.username}", [f"Order: {order.project}"])
    async with write.unit(moderator) as unit:
        # Rights first (live, never from the session), then the rest of the chain: a caller without rights
        # in the project learns nothing about it, not even whether it exists (docs/contract.md, "Moderation orders").
        await require_admin_scope(unit.conn, moderator)
        try:
            project = await load_order_chain(unit, {"project": order.project})
        except ApiError:
            if not await is_superuser(unit.conn, moderator.user_id):
                raise refused from None
            raise
        if project.viewer.role < needed_role(order.type):
            raise refused
        chain = await load_order_chain(unit, order.chain())
        changed = await publish_target(unit, chain, order.publish)
    return no_content(204) if changed else no_content(304)
