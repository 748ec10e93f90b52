"""Contributor writes on memories; comment writes are in comment_writes."""

from __future__ import annotations

from fastapi import Request
from fastapi.responses import Response

from muistot.answers import no_content
from muistot.content.ids import MemoryPath, ProjectPath, SitePath
from muistot.content.states import initial_state
from muistot.db.retry import retry_deadlocks
from muistot.deps import MaybeCaller, signed_in
from muistot.openapi import errors, missing, nothing_changed
from muistot.roles import Role
from muistot.urls import location
from muistot.write import WriteDep
from muistot_data.models import ModifiedMemory, NewMemory
from muistot_data.queries import writes as queries
from muistot_data.writes import write_router

router = write_router("memories")

MEMORIES = "/projects/{project}/sites/{site}/memories"


@router.post(MEMORIES, status_code=201, response_class=Response, responses=errors(400, 401, missing("site")))
@retry_deadlocks
async def create_memory(request: Request, project: ProjectPath, site: SitePath, body: NewMemory,
                        caller: MaybeCaller, write: WriteDep) -> Response:
    author = signed_in(caller)
    async with write.unit(author, projects_list=False) as unit:
        chain = (await unit.chain(project, site)).require_open_for_contributions()
        assert chain.site is not None
        image_id = await unit.upload(body.image) if body.image is not None else None
        memory_id = await queries.insert_memory(unit.conn, site_id=chain.site.id, user_id=author.user_id,
                                                image_id=image_id, title=body.title, story=body.story,
                                                state=initial_state(chain.project.auto_publish).value)
    return no_content(201, location(request, "projects", chain.project.name, "sites", chain.site.name, "memories",
                                    memory_id))


@router.patch(MEMORIES + "/{memory}", status_code=204, response_class=Response,
              responses={**nothing_changed(), **errors(400, 401, (403, "Not enough privileges"), missing("memory"))})
@retry_deadlocks
async def modify_memory(request: Request, project: ProjectPath, site: SitePath, memory: MemoryPath,
                        body: ModifiedMemory, caller: MaybeCaller, write: WriteDep) -> Response:
    """Only the author edits a memory; editing keeps its review state."""
    async with write.unit(signed_in(caller), projects_list=False) as unit:
        chain = (await unit.chain(project, site, memory)).require(owner=True)
        assert chain.site is not None and chain.memory is not None
        values: dict[str, object] = {}
        if body.sent("title"):
            values["title"] = body.title
        if body.sent("story"):
            values["story"] = body.story
        if body.sent("image"):
            values["image_id"] = await unit.upload(body.image) if body.image is not None else None
            unit.release(chain.memory.image_id)
        if not values:
            return no_content(304)
        await queries.change(unit.conn, "memory", chain.memory.id, values)
    return no_content(204, location(request, "projects", chain.project.name, "sites", chain.site.name, "memories",
                                    chain.memory.id))


@router.delete(MEMORIES + "/{memory}", status_code=204, response_class=Response,
               responses=errors(401, (403, "Not enough privileges"), missing("memory")))
@retry_deadlocks
async def delete_memory(request: Request, project: ProjectPath, site: SitePath, memory: MemoryPath,
                        caller: MaybeCaller, write: WriteDep) -> Response:
    async with write.unit(signed_in(caller), projects_list=False) as unit:
        chain = (await unit.chain(project, site, memory)).require(owner=True, min_role=Role.admin)
        assert chain.site is not None and chain.memory is not None
        unit.release(chain.memory.image_id)
        await queries.remove(unit.conn, "memory", chain.memory.id)
    return no_content(204, location(request, "projects", chain.project.name, "sites", chain.site.name, "memories"))
