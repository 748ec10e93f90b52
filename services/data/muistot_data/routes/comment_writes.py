"""Contributor writes on comments (§9.4–§9.6); not mounted when MUISTOT_DISABLE_COMMENTS is set."""

from __future__ import annotations

from fastapi import Request
from fastapi.responses import Response
from sqlalchemy import delete, update

from muistot.auth import MaybeUser, signed_in
from muistot.content.access import load_chain
from muistot.content.ids import CommentPath, MemoryPath, ProjectPath, SitePath
from muistot.content.retry import retry_deadlocks
from muistot.content.states import initial_state, state_after_edit
from muistot.content.urls import location
from muistot.db.engine import utcnow
from muistot.db.tables import comments
from muistot.openapi import errors, missing
from muistot.roles import Role
from muistot_data.models import ModifiedComment, NewComment
from muistot_data.responses import no_content
from muistot_data.writes import committed, write, write_router

router = write_router("comments")

COMMENTS = "/projects/{project}/sites/{site}/memories/{memory}/comments"


@router.post(COMMENTS, status_code=201, response_class=Response, responses=errors(401, missing("memory")))
@retry_deadlocks
async def create_comment(request: Request, project: ProjectPath, site: SitePath, memory: MemoryPath,
                         body: NewComment, user: MaybeUser) -> Response:
    principal = signed_in(user)
    async with write(request, principal) as w:
        chain = (await load_chain(w.conn, principal, project, site, memory)).require_open_for_contributions()
        assert chain.site is not None and chain.memory is not None
        now = utcnow()
        comment_id = (await w.conn.execute(comments.insert().values(
            memory_id=chain.memory.id, user_id=principal.user_id, comment=body.comment,
            state=initial_state(chain.project.auto_publish).value, created_at=now, modified_at=now,
        ))).inserted_primary_key[0]
    await committed(request, chain.project.name, projects_list=False)
    return no_content(201, location(request, "projects", chain.project.name, "sites", chain.site.name, "memories",
                                    chain.memory.id, "comments", comment_id))


@router.patch(COMMENTS + "/{comment}", status_code=204, response_class=Response,
              responses=errors(401, (403, "Not enough privileges"), missing("comment")))
@retry_deadlocks
async def modify_comment(request: Request, project: ProjectPath, site: SitePath, memory: MemoryPath,
                         comment: CommentPath, body: ModifiedComment, user: MaybeUser) -> Response:
    """Only the author edits; outside auto-publish projects the edit goes back to review (§9.5)."""
    principal = signed_in(user)
    async with write(request, principal) as w:
        chain = (await load_chain(w.conn, principal, project, site, memory, comment)).require(owner=True)
        assert chain.site is not None and chain.memory is not None and chain.comment is not None
        state = state_after_edit(chain.comment.state, chain.project.auto_publish)
        await w.conn.execute(update(comments).where(comments.c.id == chain.comment.id)
                             .values(comment=body.comment, state=state.value, modified_at=utcnow()))
    await committed(request, chain.project.name, projects_list=False)
    return no_content(204, location(request, "projects", chain.project.name, "sites", chain.site.name, "memories",
                                    chain.memory.id, "comments", chain.comment.id))


@router.delete(COMMENTS + "/{comment}", status_code=204, response_class=Response,
               responses=errors(401, (403, "Not enough privileges"), missing("comment")))
@retry_deadlocks
async def delete_comment(request: Request, project: ProjectPath, site: SitePath, memory: MemoryPath,
                         comment: CommentPath, user: MaybeUser) -> Response:
    principal = signed_in(user)
    async with write(request, principal) as w:
        chain = (await load_chain(w.conn, principal, project, site, memory, comment)).require(
            owner=True, min_role=Role.admin)
        assert chain.site is not None and chain.memory is not None and chain.comment is not None
        await w.conn.execute(delete(comments).where(comments.c.id == chain.comment.id))
    await committed(request, chain.project.name, projects_list=False)
    return no_content(204, location(request, "projects", chain.project.name, "sites", chain.site.name, "memories",
                                    chain.memory.id, "comments"))
