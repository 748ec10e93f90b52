"""Memory and comment reads (§8.2, §8.3, §9.2, §9.3); contributor writes are in entry_writes."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response

from muistot.auth import MaybeUser
from muistot.content.access import load_chain
from muistot.content.ids import CommentPath, MemoryPath, ProjectPath, SitePath
from muistot_data.models import Comment, Comments, Memories, Memory
from muistot_data.queries import memories as queries
from muistot_data.responses import read_response

router = APIRouter(tags=["memories"])

MEMORIES = "/projects/{project}/sites/{site}/memories"


@router.get(MEMORIES, response_model=Memories)
async def list_memories(request: Request, project: ProjectPath, site: SitePath, user: MaybeUser,
                        include_comments: bool = False) -> Response:
    state = request.app.state
    async with state.db.connect() as conn:
        chain = (await load_chain(conn, user, project, site)).require_listable()
        assert chain.site is not None
        site_id = chain.site.id

        async def build() -> Memories:
            found = await queries.list_memories(conn, [site_id], chain.viewer, include_comments=include_comments)
            return Memories(items=found.get(site_id, []))

        return await read_response(request, user, chain.project.id, None, build)


@router.get(MEMORIES + "/{memory}", response_model=Memory)
async def get_memory(request: Request, project: ProjectPath, site: SitePath, memory: MemoryPath, user: MaybeUser,
                     include_comments: bool = False) -> Response:
    state = request.app.state
    async with state.db.connect() as conn:
        chain = (await load_chain(conn, user, project, site, memory)).require_readable()
        return await read_response(request, user, chain.project.id, None,
                                   lambda: queries.one_memory(conn, memory, chain.viewer,
                                                              include_comments=include_comments))


@router.get(MEMORIES + "/{memory}/comments", response_model=Comments)
async def list_comments(request: Request, project: ProjectPath, site: SitePath, memory: MemoryPath,
                        user: MaybeUser) -> Response:
    state = request.app.state
    async with state.db.connect() as conn:
        chain = (await load_chain(conn, user, project, site, memory)).require_listable()

        async def build() -> Comments:
            found = await queries.comments_of(conn, [memory], chain.viewer)
            return Comments(items=found.get(memory, []))

        return await read_response(request, user, chain.project.id, None, build)


@router.get(MEMORIES + "/{memory}/comments/{comment}", response_model=Comment)
async def get_comment(request: Request, project: ProjectPath, site: SitePath, memory: MemoryPath,
                      comment: CommentPath, user: MaybeUser) -> Response:
    state = request.app.state
    async with state.db.connect() as conn:
        chain = (await load_chain(conn, user, project, site, memory, comment)).require_readable()
        return await read_response(request, user, chain.project.id, None,
                                   lambda: queries.one_comment(conn, comment, chain.viewer))
