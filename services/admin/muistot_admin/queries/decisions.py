"""Moderators' decisions on queue items: approve, reject or clear reports.

- approve: the item is published and its open reports are cleared;
- reject: the item is rejected (invisible to everyone but its author and staff), its open reports are
  cleared, and a given reason is mailed to the author;
- clear_reports: the open reports are marked reviewed; a hidden item is published again.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncConnection

from muistot import moderation
from muistot.content.access import Chain, owner_of
from muistot.db.tables import ReviewState, comments, memories, projects, sites, users
from muistot.mail import MailMessage
from muistot.write import Unit
from muistot_admin.models import Decision
from muistot_admin.notices import rejection_mail
from muistot_admin.queries.publishing import set_content_state
from muistot_admin.targets import identifier_of, kind_of


async def public_names(conn: AsyncConnection, kind: str, item_id: int) -> dict[str, str | int] | None:
    """The URL chain (project, site, memory, comment) of an item known by its database id."""
    if kind == "site":
        query = select(projects.c.name.label("project"), sites.c.name.label("site")).join_from(
            sites, projects, projects.c.id == sites.c.project_id).where(sites.c.id == item_id)
    elif kind == "memory":
        query = (select(projects.c.name.label("project"), sites.c.name.label("site"),
                        memories.c.id.label("memory"))
                 .join_from(memories, sites, sites.c.id == memories.c.site_id)
                 .join(projects, projects.c.id == sites.c.project_id).where(memories.c.id == item_id))
    else:
        query = (select(projects.c.name.label("project"), sites.c.name.label("site"),
                        memories.c.id.label("memory"), comments.c.id.label("comment"))
                 .join_from(comments, memories, memories.c.id == comments.c.memory_id)
                 .join(sites, sites.c.id == memories.c.site_id)
                 .join(projects, projects.c.id == sites.c.project_id).where(comments.c.id == item_id))
    row = (await conn.execute(query)).mappings().first()
    return dict(row) if row is not None else None


async def decide(unit: Unit, chain: Chain, decision: Decision) -> tuple[bool, MailMessage | None]:
    """Apply the decision; returns (anything changed?, mail for the author or None)."""
    target = chain.target
    kind = kind_of(target)
    cleared = await moderation.clear_reports(unit.conn, kind, target.id)
    new_state = {"approve": ReviewState.published.value, "reject": ReviewState.rejected.value}.get(
        decision.action, ReviewState.published.value if target.state == ReviewState.hidden else target.state)
    state_changed = await set_content_state(unit, chain.project.id, target, new_state, decision.action,
                                            reason=decision.reason, reports_cleared=cleared)
    if cleared and not state_changed:
        after: dict[str, object] = {"state": target.state, "open_reports": 0}
        if decision.reason:
            after["reason"] = decision.reason
        await unit.audit(action="clear_reports", target_type=kind, target_id=identifier_of(target),
                         project_id=chain.project.id, before={"state": target.state, "open_reports": cleared},
                         after=after)
    mail = None
    if decision.action == "reject" and decision.reason and state_changed:
        mail = await _author_mail(unit.conn, owner_of(target), kind, chain, decision.reason,
                                  unit.settings.default_language)
    return state_changed or cleared > 0, mail


async def _author_mail(conn: AsyncConnection, owner_id: int | None, kind: str, chain: Chain, reason: str,
                       default_language: str) -> MailMessage | None:
    if owner_id is None:
        return None
    row = (await conn.execute(select(users.c.username, users.c.email, users.c.lang)
                              .where(users.c.id == owner_id))).first()
    if row is None or not row.email:
        return None
    return rejection_mail(to=row.email, user=row.username, kind=kind, project=chain.project.name,
                          summary=str(identifier_of(chain.target)), reason=reason,
                          lang=row.lang or default_language)
