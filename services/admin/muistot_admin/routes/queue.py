"""The moderation queue: `GET /admin/queue` and `POST /admin/queue/{type}/{id}/decision`.

Visible to the moderators and admins of a project and to superusers. Items are addressed by their
database id (`id` in the listing), since site names are only unique within a project.
"""

from __future__ import annotations

import logging
from typing import Annotated, Literal

from fastapi import APIRouter, Path, Query, Request, Response

from muistot.auth import MaybeUser, signed_in
from muistot.content import generations
from muistot.content.access import load_chain
from muistot.content.ids import PID_PATTERN, strip_text
from muistot.errors import ApiError
from muistot.mail import enqueue
from muistot.openapi import errors, missing, nothing_changed
from muistot.pagination import PageParams
from muistot.ratelimit import Limit, RateLimiter, TooManyRequests
from muistot.redis import RedisClients
from muistot.roles import Role
from muistot.text import fold
from muistot_admin.common import unchanged
from muistot_admin.decisions import Decision, decide, public_names
from muistot_admin.moderation_models import Queue
from muistot_admin.queue import QueueFilter, list_queue
from muistot_admin.scope import staff_projects

router = APIRouter(prefix="/admin/queue", tags=["moderation"])
log = logging.getLogger("muistot.admin.queue")
# Rejection mails one address receives; beyond this the decision still applies, without a mail.
REJECTION_MAILS_PER_RECIPIENT = Limit("reject-mail-recipient", max=10, window=3600)

ItemKind = Literal["site", "memory", "comment"]
ProjectFilter = Annotated[str | None, Query(pattern=PID_PATTERN, description="Only this project")]
KindFilter = Annotated[ItemKind | None, Query(description="Only this type")]
StateFilter = Annotated[Literal["pending", "published", "rejected", "hidden"] | None,
                        Query(description="Only this state")]


@router.get("", response_model=None, responses={
    200: {"model": Queue}, **errors(401, (403, "Not enough privileges"), missing("project"))})
async def get_queue(request: Request, page: PageParams, user: MaybeUser, project: ProjectFilter = None,
                    type: KindFilter = None, state: StateFilter = None) -> dict:
    """Items waiting for approval or reported, oldest first, with their open report counts and reasons."""
    caller = signed_in(user)
    async with request.app.state.db.connect() as conn:
        scope = await staff_projects(conn, caller, strip_text(project) if project else None)
        return await list_queue(conn, QueueFilter(project_ids=scope, kind=type, state=state), page)


@router.post("/{kind}/{item_id}/decision", status_code=204,
             responses={**nothing_changed(), **errors(401, (403, "Not enough privileges"),
                                                (404, "Site not found", "Memory not found", "Comment not found"))})
async def decide_queue_item(request: Request, kind: Annotated[ItemKind, Path()],
                        item_id: Annotated[int, Path(gt=0)], decision: Decision, user: MaybeUser) -> Response:
    """approve → published (reports cleared); reject → rejected (reason mailed); clear_reports → reviewed."""
    caller = signed_in(user)
    state = request.app.state
    async with state.db.transaction() as conn:
        names = await public_names(conn, kind, item_id) if item_id < 2**63 else None
        if names is None:
            raise ApiError(404, f"{kind.capitalize()} not found")
        chain = await load_chain(conn, caller, str(names["project"]), names.get("site"),  # type: ignore[arg-type]
                                 names.get("memory"), names.get("comment"))  # type: ignore[arg-type]
        chain.require(owner=False, min_role=Role.moderator)
        changed, mail = await decide(conn, chain, decision, caller, state.settings.default_language)
        if mail is not None and await _mail_allowed(state.redis, mail.to):
            # Queued before the commit: if Redis is down the decision is rolled back (503), not half-done.
            await enqueue(state.redis, mail, state.settings)
    if not changed:
        return unchanged()
    await generations.bump(state.redis, chain.project.name)
    return Response(status_code=204)


async def _mail_allowed(redis: RedisClients, to: str) -> bool:
    """False once an address had its share of rejection mails: a flood of rejections sends no flood of mail."""
    try:
        await RateLimiter(redis).hit((REJECTION_MAILS_PER_RECIPIENT, fold(to)))
    except TooManyRequests:
        log.info("rejection mail skipped: recipient over its hourly limit")
        return False
    return True
