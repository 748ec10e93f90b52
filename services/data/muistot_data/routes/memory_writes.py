"""Contributor writes on memories (§8.4–§8.6); comment writes are in comment_writes."""

from __future__ import annotations

from fastapi import Request
from fastapi.responses import Response
from sqlalchemy import delete, update

from muistot.auth import MaybeUser, signed_in
from muistot.content.access import load_chain
from muistot.content.ids import MemoryPath, ProjectPath, SitePath
from muistot.content.retry import retry_deadlocks
from muistot.content.states import initial_state
from muistot.content.urls import location
from muistot.db.engine import utcnow
from muistot.db.tables import memories
from muistot.openapi import errors, missing, nothing_changed
from muistot.roles import Role
from muistot_data.models import ModifiedMemory, NewMemory
from muistot_data.responses import no_content
from muistot_data.writes import committed, write, write_router

router = write_router("memories")

MEMORIES = "/projects/{project}/sites/{site}/memories"


@router.post(MEMORIES, status_code=201, response_class=Response, responses=errors(400, 401, missing("site")))
@retry_deadlocks
async def create_memory(request: Request, project: ProjectPath, site: SitePath, body: NewMemory,
                        user: MaybeUser) -> Response:
    principal = signed_in(user)
    async with write(request, principal) as w:
        chain = (await load_chain(w.conn, principal, project, site)).require_open_for_contributions()
        assert chain.site is not None
        image_id = await w.upload(body.image) if body.image is not None else None
        now = utcnow()
        memory_id = (await w.conn.execute(memories.insert().values(
            site_id=chain.site.id, user_id=principal.user_id, image_id=image_id, title=body.title, story=body.story,
            state=initial_state(chain.project.auto_publish).value, created_at=now, modified_at=now,
        ))).inserted_primary_key[0]
    await committed(request, chain.project.name, projects_list=False)
    return no_content(201, location(request, "projects", chain.project.name, "sites", chain.site.name, "memories",
                                    memory_id))


@router.patch(MEMORIES + "/{memory}", status_code=204, response_class=Response,
              responses={**nothing_changed(), **errors(400, 401, (403, "Not enough privileges"), missing("memory"))})
@retry_deadlocks
async def modify_memory(request: Request, project: ProjectPath, site: SitePath, memory: MemoryPath,
                        body: ModifiedMemory, user: MaybeUser) -> Response:
    """Only the author edits a memory; editing keeps its review state (§8.5)."""
    principal = signed_in(user)
    async with write(request, principal) as w:
        chain = (await load_chain(w.conn, principal, project, site, memory)).require(owner=True)
        assert chain.site is not None and chain.memory is not None
        values: dict[str, object] = {}
        if body.sent("title"):
            values["title"] = body.title
        if body.sent("story"):
            values["story"] = body.story
        if body.sent("image"):
            values["image_id"] = await w.upload(body.image) if body.image is not None else None
            w.release(chain.memory.image_id)
        if not values:
            return no_content(304)
        values["modified_at"] = utcnow()
        await w.conn.execute(update(memories).where(memories.c.id == chain.memory.id).values(**values))
    await committed(request, chain.project.name, projects_list=False)
    return no_content(204, location(request, "projects", chain.project.name, "sites", chain.site.name, "memories",
                                    chain.memory.id))


@router.delete(MEMORIES + "/{memory}", status_code=204, response_class=Response,
               responses=errors(401, (403, "Not enough privileges"), missing("memory")))
@retry_deadlocks
async def delete_memory(request: Request, project: ProjectPath, site: SitePath, memory: MemoryPath,
                        user: MaybeUser) -> Response:
    principal = signed_in(user)
    async with write(request, principal) as w:
        chain = (await load_chain(w.conn, principal, project, site, memory)).require(owner=True, min_role=Role.admin)
        assert chain.site is not None and chain.memory is not None
        w.release(chain.memory.image_id)
        await w.conn.execute(delete(memories).where(memories.c.id == chain.memory.id))
    await committed(request, chain.project.name, projects_list=False)
    return no_content(204, location(request, "projects", chain.project.name, "sites", chain.site.name, "memories"))
