"""The moderation queue: `GET /admin/queue` and `POST /admin/queue/{type}/{id}/decision`.

Visible to the moderators and admins of a project and to superusers. Items are addressed by their
database id (`id` in the listing), since site names are only unique within a project.
"""

from __future__ import annotations

import logging
from typing import Annotated, Literal

from fastapi import APIRouter, Path, Query, Response

from muistot.answers import no_content
from muistot.content.ids import PID_PATTERN, strip_text
from muistot.deps import DatabaseDep, MaybeCaller, signed_in
from muistot.errors import ApiError
from muistot.openapi import errors, missing, nothing_changed
from muistot.pagination import PageParams
from muistot.ratelimit import Limit, RateLimiter, TooManyRequests
from muistot.redis import RedisClients
from muistot.roles import Role
from muistot.text import fold
from muistot.write import WriteDep
from muistot_admin.models import Decision
from muistot_admin.moderation_models import Queue
from muistot_admin.queries.decisions import decide, public_names
from muistot_admin.queries.queue import QueueFilter, list_queue
from muistot_admin.queries.scope import staff_projects
from muistot_admin.targets import load_named_chain

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
async def get_queue(page: PageParams, caller: MaybeCaller, db: DatabaseDep, project: ProjectFilter = None,
                    type: KindFilter = None, state: StateFilter = None) -> dict:
    """Items waiting for approval or reported, oldest first, with their open report counts and reasons."""
    moderator = signed_in(caller)
    async with db.connect() as conn:
        scope = await staff_projects(conn, moderator, strip_text(project) if project else None)
        return await list_queue(conn, QueueFilter(project_ids=scope, kind=type, state=state), page)


@router.post("/{kind}/{item_id}/decision", status_code=204,
             responses={**nothing_changed(), **errors(401, (403, "Not enough privileges"),
                                                (404, "Site not found", "Memory not found", "Comment not found"))})
async def decide_queue_item(kind: Annotated[ItemKind, Path()], item_id: Annotated[int, Path(gt=0)],
                            decision: Decision, caller: MaybeCaller, write: WriteDep) -> Response:
    """approve → published (reports cleared); reject → rejected (reason mailed); clear_reports → reviewed."""
    async with write.unit(signed_in(caller)) as unit:
        names = await public_names(unit.conn, kind, item_id) if item_id < 2**63 else None
        if names is None:
            raise ApiError(404, f"{kind.capitalize()} not found")
        chain = (await load_named_chain(unit, names)).require(owner=False, min_role=Role.moderator)
        changed, mail = await decide(unit, chain, decision)
        # The limit is counted inside the unit: with Redis away the decision is refused (503), not half-done.
        if mail is not None and await _mail_allowed(unit.redis, mail.to):
            unit.mail(mail)
    return no_content(204) if changed else no_content(304)


async def _mail_allowed(redis: RedisClients, to: str) -> bool:
    """False once an address had its share of rejection mails: a flood of rejections sends no flood of mail."""
    try:
        await RateLimiter(redis).hit((REJECTION_MAILS_PER_RECIPIENT, fold(to)))
    except TooManyRequests:
        log.info("rejection mail skipped: recipient over its hourly limit")
        return False
    return True
