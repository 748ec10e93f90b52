"""Comment reads; not mounted when MUISTOT_DISABLE_COMMENTS is set."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response

from muistot.auth import MaybeUser
from muistot.content.access import Scope, load_chain
from muistot.content.cache import shared_audience
from muistot.content.ids import CommentPath, MemoryPath, ProjectPath, SitePath
from muistot.openapi import VARIES_BY_CALLER, errors, missing
from muistot_data.models import Comment, Comments
from muistot_data.queries import memories as queries
from muistot_data.responses import read_response

router = APIRouter(tags=["comments"])

COMMENTS = "/projects/{project}/sites/{site}/memories/{memory}/comments"


@router.get(COMMENTS, response_model=Comments, openapi_extra=VARIES_BY_CALLER, responses=errors(missing("memory")))
async def list_comments(request: Request, project: ProjectPath, site: SitePath, memory: MemoryPath,
                        user: MaybeUser) -> Response:
    state = request.app.state
    async with state.db.connect() as conn:
        chain = (await load_chain(conn, user, project, site, memory, reading=Scope.memory)).require_listable()

        async def build() -> Comments:
            found = await queries.comments_of(conn, [memory], chain.viewer)
            return Comments(items=found.get(memory, []))

        return await read_response(request, user, build, shared=shared_audience(chain))


@router.get(COMMENTS + "/{comment}", response_model=Comment, openapi_extra=VARIES_BY_CALLER,
            responses=errors(missing("comment")))
async def get_comment(request: Request, project: ProjectPath, site: SitePath, memory: MemoryPath,
                      comment: CommentPath, user: MaybeUser) -> Response:
    state = request.app.state
    async with state.db.connect() as conn:
        chain = (await load_chain(conn, user, project, site, memory, comment, reading=Scope.comment)).require_readable()
        return await read_response(request, user, lambda: queries.one_comment(conn, comment, chain.viewer),
                                   shared=shared_audience(chain))
