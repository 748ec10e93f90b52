"""Contributor writes on comments; not mounted when MUISTOT_DISABLE_COMMENTS is set."""

from __future__ import annotations

from fastapi import Request
from fastapi.responses import Response

from muistot.answers import no_content
from muistot.content.ids import CommentPath, MemoryPath, ProjectPath, SitePath
from muistot.content.states import initial_state, state_after_edit
from muistot.db.retry import retry_deadlocks
from muistot.deps import MaybeCaller, signed_in
from muistot.openapi import errors, missing
from muistot.roles import Role
from muistot.urls import location
from muistot.write import WriteDep
from muistot_data.models import ModifiedComment, NewComment
from muistot_data.queries import writes as queries
from muistot_data.writes import write_router

router = write_router("comments")

COMMENTS = "/projects/{project}/sites/{site}/memories/{memory}/comments"


@router.post(COMMENTS, status_code=201, response_class=Response, responses=errors(401, missing("memory")))
@retry_deadlocks
async def create_comment(request: Request, project: ProjectPath, site: SitePath, memory: MemoryPath,
                         body: NewComment, caller: MaybeCaller, write: WriteDep) -> Response:
    author = signed_in(caller)
    async with write.unit(author, projects_list=False) as unit:
        chain = (await unit.chain(project, site, memory)).require_open_for_contributions()
        assert chain.site is not None and chain.memory is not None
        comment_id = await queries.insert_comment(unit.conn, memory_id=chain.memory.id, user_id=author.user_id,
                                                  text=body.comment,
                                                  state=initial_state(chain.project.auto_publish).value)
    return no_content(201, location(request, "projects", chain.project.name, "sites", chain.site.name, "memories",
                                    chain.memory.id, "comments", comment_id))


@router.patch(COMMENTS + "/{comment}", status_code=204, response_class=Response,
              responses=errors(401, (403, "Not enough privileges"), missing("comment")))
@retry_deadlocks
async def modify_comment(request: Request, project: ProjectPath, site: SitePath, memory: MemoryPath,
                         comment: CommentPath, body: ModifiedComment, caller: MaybeCaller,
                         write: WriteDep) -> Response:
    """Only the author edits; outside auto-publish projects the edit goes back to review."""
    async with write.unit(signed_in(caller), projects_list=False) as unit:
        chain = (await unit.chain(project, site, memory, comment)).require(owner=True)
        assert chain.site is not None and chain.memory is not None and chain.comment is not None
        state = state_after_edit(chain.comment.state, chain.project.auto_publish)
        await queries.change(unit.conn, "comment", chain.comment.id, {"comment": body.comment, "state": state.value})
    return no_content(204, location(request, "projects", chain.project.name, "sites", chain.site.name, "memories",
                                    chain.memory.id, "comments", chain.comment.id))


@router.delete(COMMENTS + "/{comment}", status_code=204, response_class=Response,
               responses=errors(401, (403, "Not enough privileges"), missing("comment")))
@retry_deadlocks
async def delete_comment(request: Request, project: ProjectPath, site: SitePath, memory: MemoryPath,
                         comment: CommentPath, caller: MaybeCaller, write: WriteDep) -> Response:
    async with write.unit(signed_in(caller), projects_list=False) as unit:
        chain = (await unit.chain(project, site, memory, comment)).require(owner=True, min_role=Role.admin)
        assert chain.site is not None and chain.memory is not None and chain.comment is not None
        await queries.remove(unit.conn, "comment", chain.comment.id)
    return no_content(204, location(request, "projects", chain.project.name, "sites", chain.site.name, "memories",
                                    chain.memory.id, "comments"))
