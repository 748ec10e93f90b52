"""`GET /admin/audit`: the admin audit log, newest first, for a project's staff and superusers."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from sqlalchemy import select

from muistot.auth import MaybeUser, signed_in
from muistot.content.ids import PID_PATTERN, strip_text
from muistot.db.tables import audit_log, projects
from muistot.openapi import errors, missing
from muistot.pagination import PageParams, keyset, paged
from muistot.times import rfc3339
from muistot_admin.moderation_models import AuditEntries
from muistot_admin.scope import staff_projects

router = APIRouter(prefix="/admin", tags=["audit"])


def _entry(row: Any) -> dict[str, Any]:
    entry: dict[str, Any] = {
        "id": row.id,
        "time": rfc3339(row.created_at),
        "action": row.action,
        "target": {"type": row.target_type, "id": row.target_id},
    }
    for name in ("actor", "project", "before", "after"):
        value = getattr(row, name)
        if value is not None:
            entry[name] = value
    return entry


@router.get("/audit", response_model=None, responses={
    200: {"model": AuditEntries}, **errors(401, (403, "Not enough privileges"), missing("project"))})
async def list_audit_entries(request: Request, page: PageParams, user: MaybeUser,
                             project: Annotated[str | None, Query(pattern=PID_PATTERN)] = None) -> dict:
    """Entries of one project (`project=`), or of every project the caller moderates (all for superusers)."""
    caller = signed_in(user)
    async with request.app.state.db.connect() as conn:
        scope = await staff_projects(conn, caller, strip_text(project) if project else None)
        query = (select(audit_log.c.id, audit_log.c.created_at, audit_log.c.action, audit_log.c.target_type,
                        audit_log.c.target_id, audit_log.c.actor_name.label("actor"),
                        projects.c.name.label("project"), audit_log.c.before, audit_log.c.after)
                 .outerjoin(projects, projects.c.id == audit_log.c.project_id))
        if scope is not None:
            query = query.where(audit_log.c.project_id.in_(scope))
        rows = list(await conn.execute(keyset(query, [audit_log.c.id], page, descending=True)))
    return paged(rows, page, key=lambda row: (int(row.id),), item=_entry)
