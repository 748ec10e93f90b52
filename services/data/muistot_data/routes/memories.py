"""Memory reads; contributor writes are in memory_writes, comment reads in comments."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response

from muistot.content.access import Scope, load_chain
from muistot.content.cache import shared_audience
from muistot.content.ids import MemoryPath, ProjectPath, SitePath
from muistot.deps import DatabaseDep, MaybeCaller, SettingsDep
from muistot.openapi import VARIES_BY_CALLER, errors, missing
from muistot_data.models import Memories, Memory
from muistot_data.queries import memories as queries
from muistot_data.responses import read_response

router = APIRouter(tags=["memories"])

MEMORIES = "/projects/{project}/sites/{site}/memories"


@router.get(MEMORIES, response_model=Memories, openapi_extra=VARIES_BY_CALLER, responses=errors(missing("site")))
async def list_memories(request: Request, project: ProjectPath, site: SitePath, caller: MaybeCaller,
                        db: DatabaseDep, settings: SettingsDep, include_comments: bool = False) -> Response:
    async with db.connect() as conn:
        chain = (await load_chain(conn, caller, project, site, reading=Scope.site)).require_listable()
        assert chain.site is not None
        site_id = chain.site.id

        async def build() -> Memories:
            found = await queries.list_memories(conn, [site_id], chain.viewer,
                                                nest=queries.nesting(include_comments, settings))
            return Memories(items=found.get(site_id, []))

        return await read_response(request, caller, build, shared=shared_audience(chain))


@router.get(MEMORIES + "/{memory}", response_model=Memory, openapi_extra=VARIES_BY_CALLER,
            responses=errors(missing("memory")))
async def get_memory(request: Request, project: ProjectPath, site: SitePath, memory: MemoryPath,
                     caller: MaybeCaller, db: DatabaseDep, settings: SettingsDep,
                     include_comments: bool = False) -> Response:
    async with db.connect() as conn:
        chain = (await load_chain(conn, caller, project, site, memory, reading=Scope.memory)).require_readable()
        nest = queries.nesting(include_comments, settings)
        return await read_response(request, caller, lambda: queries.one_memory(conn, memory, chain.viewer, nest=nest),
                                   shared=shared_audience(chain))
