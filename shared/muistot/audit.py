"""The admin audit log: who changed what, written in the same transaction as the change itself.

Every moderation and management action (publishing, role and superuser changes, project changes,
report decisions, automatic hiding) adds one `audit_log` row, so a rolled-back action leaves no
entry and a committed one always has its entry.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncConnection

from muistot.db.engine import utcnow
from muistot.db.tables import audit_log
from muistot.identity import Principal


def _jsonable(value: Any) -> Any:
    """Dates become ISO strings so the before/after snapshots are plain JSON on every database."""
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, dict):
        return {str(key): _jsonable(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(item) for item in value]
    return value


async def record(
    conn: AsyncConnection,
    *,
    actor: Principal | None,
    action: str,
    target_type: str,
    target_id: str | int,
    project_id: int | None,
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
) -> None:
    """Append one entry; `actor=None` means the system (e.g. the auto-hide job)."""
    await conn.execute(audit_log.insert().values(
        actor_id=actor.user_id if actor else None,
        actor_name=actor.username if actor else None,
        project_id=project_id,
        action=action,
        target_type=target_type,
        target_id=str(target_id),
        before=_jsonable(before) if before is not None else None,
        after=_jsonable(after) if after is not None else None,
        created_at=utcnow(),
    ))
