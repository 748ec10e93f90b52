"""Publishing and unpublishing: the state changes behind every `…/publish` endpoint.

Projects have a published flag. Sites, memories and comments have a review state:
- publish=true sets `published` from any other state; a hidden item's open reports are cleared at
  the same time (publishing it is the moderator's verdict on them, and the auto-hide check must not
  hide it again at once);
- publish=false sends a published item back to `pending` (waiting for approval, in the moderation
  queue); a pending, rejected or hidden item is already unpublished and keeps its state (304).
"""

from __future__ import annotations

from sqlalchemy import update

from muistot import moderation
from muistot.content.access import Chain, Item, ProjectRow
from muistot.content.states import state_for_publish
from muistot.db.engine import utcnow
from muistot.db.tables import ReviewState, projects
from muistot.write import Unit
from muistot_admin.targets import identifier_of, kind_of


async def set_project_published(unit: Unit, project: ProjectRow, publish: bool) -> bool:
    """True when the flag changed. Publishing also undoes a soft delete."""
    values: dict[str, object] = {"published": publish, "modifier_id": unit.actor.user_id, "modified_at": utcnow()}
    if publish:
        values["deleted_at"] = None
    result = await unit.conn.execute(update(projects)
                                .where(projects.c.id == project.id, projects.c.published.is_(not publish))
                                .values(**values))
    if not result.rowcount:
        return False
    await unit.audit(action="publish" if publish else "unpublish", target_type="project", target_id=project.name,
                     project_id=project.id, before={"published": not publish}, after={"published": publish})
    return True


async def set_content_state(unit: Unit, project_id: int, item: Item, new_state: str, action: str, *,
                            reason: str | None = None, reports_cleared: int = 0) -> bool:
    """Move a site, memory or comment to `new_state`; True when it changed. Audited with before/after."""
    if item.state == new_state:
        return False
    kind = kind_of(item)
    table = moderation.CONTENT_TABLES[kind]
    # `modified_at` follows every change of the row, publish toggles included (docs/contract.md, "Review states").
    result = await unit.conn.execute(update(table).where(table.c.id == item.id, table.c.state == item.state)
                                .values(state=new_state, modified_at=utcnow()))
    if not result.rowcount:
        return False  # changed concurrently by someone else: treat as already done
    after: dict[str, object] = {"state": new_state}
    if reason:
        after["reason"] = reason
    if reports_cleared:
        after["reports_cleared"] = reports_cleared
    await unit.audit(action=action, target_type=kind, target_id=identifier_of(item), project_id=project_id,
                     before={"state": item.state}, after=after)
    return True


async def publish_target(unit: Unit, chain: Chain, publish: bool) -> bool:
    """The effect of `…/publish?publish=` and `/admin/publish` on the chain's target."""
    target = chain.target
    if isinstance(target, ProjectRow):
        return await set_project_published(unit, target, publish)
    new_state = state_for_publish(target.state, publish)
    if new_state == target.state:
        return False
    cleared = 0
    if target.state == ReviewState.hidden:
        cleared = await moderation.clear_reports(unit.conn, kind_of(target), target.id)
    return await set_content_state(unit, chain.project.id, target, new_state, "publish" if publish else "unpublish",
                                   reports_cleared=cleared)


async def soft_delete_project(unit: Unit, project: ProjectRow) -> bool:
    """`DELETE /projects/{p}`: unpublish and stamp `deleted_at` (kept re-publishable); True if it changed."""
    result = await unit.conn.execute(update(projects)
                                     .where(projects.c.id == project.id, projects.c.deleted_at.is_(None))
                                     .values(published=False, deleted_at=utcnow(), modifier_id=unit.actor.user_id,
                                             modified_at=utcnow()))
    if not result.rowcount:
        return False
    await unit.audit(action="delete", target_type="project", target_id=project.name, project_id=project.id,
                     before={"published": project.published, "deleted": False},
                     after={"published": False, "deleted": True})
    return True
