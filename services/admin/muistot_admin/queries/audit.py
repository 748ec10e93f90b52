"""SQL of `GET /admin/audit`: the audit log, newest first."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncConnection

from muistot.db.tables import audit_log, projects
from muistot.pagination import PageRequest, keyset, paged
from muistot.times import rfc3339


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


async def audit_page(conn: AsyncConnection, project_ids: list[int] | None, page: PageRequest) -> dict[str, Any]:
    """A page of entries of these projects (None: every project)."""
    query = (select(audit_log.c.id, audit_log.c.created_at, audit_log.c.action, audit_log.c.target_type,
                    audit_log.c.target_id, audit_log.c.actor_name.label("actor"),
                    projects.c.name.label("project"), audit_log.c.before, audit_log.c.after)
             .outerjoin(projects, projects.c.id == audit_log.c.project_id))
    if project_ids is not None:
        query = query.where(audit_log.c.project_id.in_(project_ids))
    rows = list(await conn.execute(keyset(query, [audit_log.c.id], page, descending=True)))
    return paged(rows, page, key=lambda row: (int(row.id),), item=_entry)
