"""Comment reads; not mounted when MUISTOT_DISABLE_COMMENTS is set."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response

from muistot.content.access import Scope, load_chain
from muistot.content.cache import shared_audience
from muistot.content.ids import CommentPath, MemoryPath, ProjectPath, SitePath
from muistot.deps import DatabaseDep, MaybeCaller
from muistot.openapi import VARIES_BY_CALLER, errors, missing
from muistot_data.models import Comment, Comments
from muistot_data.queries import memories as queries
from muistot_data.responses import read_response

router = APIRouter(tags=["comments"])

COMMENTS = "/projects/{project}/sites/{site}/memories/{memory}/comments"


@router.get(COMMENTS, response_model=Comments, openapi_extra=VARIES_BY_CALLER, responses=errors(missing("memory")))
async def list_comments(request: Request, project: ProjectPath, site: SitePath, memory: MemoryPath,
                        caller: MaybeCaller, db: DatabaseDep) -> Response:
    async with db.connect() as conn:
        chain = (await load_chain(conn, caller, project, site, memory, reading=Scope.memory)).require_listable()

        async def build() -> Comments:
            found = await queries.comments_of(conn, [memory], chain.viewer)
            return Comments(items=found.get(memory, []))

        return await read_response(request, caller, build, shared=shared_audience(chain))


@router.get(COMMENTS + "/{comment}", response_model=Comment, openapi_extra=VARIES_BY_CALLER,
            responses=errors(missing("comment")))
async def get_comment(request: Request, project: ProjectPath, site: SitePath, memory: MemoryPath,
                      comment: CommentPath, caller: MaybeCaller, db: DatabaseDep) -> Response:
    async with db.connect() as conn:
        chain = (await load_chain(conn, caller, project, site, memory, comment,
                                  reading=Scope.comment)).require_readable()
        return await read_response(request, caller, lambda: queries.one_comment(conn, comment, chain.viewer),
                                   shared=shared_audience(chain))
