"""The moderation queue: sites, memories and comments waiting for a decision.

An item is in the queue while it is `pending` (never reviewed), `hidden` (by reports) or has open
(uncleared) reports in any state. The three tables are read as one UNION, oldest first, so a
moderator works through them in the order they arrived.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from fastapi.exceptions import RequestValidationError
from sqlalchemy import Select, func, literal, or_, select, union_all
from sqlalchemy.ext.asyncio import AsyncConnection

from muistot import moderation
from muistot.db.tables import ReviewState, comments, memories, projects, reports, sites, users
from muistot.pagination import PageRequest, keyset, paged
from muistot.times import rfc3339

QUEUE_STATES = (ReviewState.pending.value, ReviewState.hidden.value)
RANK = {"site": 0, "memory": 1, "comment": 2}
MAX_REASONS = 20
SUMMARY_LENGTH = 200


@dataclass(frozen=True)
class QueueFilter:
    project_ids: list[int] | None  # None: every project
    kind: str | None
    state: str | None


def _open_reports(kind: str) -> Any:
    table = moderation.CONTENT_TABLES[kind]
    column = moderation.REPORT_COLUMNS[kind]
    return (select(func.count()).select_from(reports)
            .where(column == table.c.id, reports.c.cleared_at.is_(None)).scalar_subquery())


def _select(kind: str, wanted: QueueFilter) -> Select:
    """One kind's queue rows with the same columns as the others (for the UNION)."""
    open_reports = _open_reports(kind)
    if kind == "site":
        table, owner, summary = sites, sites.c.creator_id, sites.c.name
        query = select(literal("site").label("kind"), literal(0).label("rank"), sites.c.id.label("id"),
                       sites.c.name.label("site"), literal(None).label("memory"))
    elif kind == "memory":
        table, owner, summary = memories, memories.c.user_id, memories.c.title
        query = (select(literal("memory").label("kind"), literal(1).label("rank"), memories.c.id.label("id"),
                        sites.c.name.label("site"), memories.c.id.label("memory"))
                 .join_from(memories, sites, sites.c.id == memories.c.site_id))
    else:
        table, owner, summary = comments, comments.c.user_id, comments.c.comment
        query = (select(literal("comment").label("kind"), literal(2).label("rank"), comments.c.id.label("id"),
                        sites.c.name.label("site"), memories.c.id.label("memory"))
                 .join_from(comments, memories, memories.c.id == comments.c.memory_id)
                 .join(sites, sites.c.id == memories.c.site_id))
    query = (query.add_columns(projects.c.id.label("project_id"), projects.c.name.label("project"),
                               table.c.state.label("state"), table.c.created_at.label("created_at"),
                               users.c.username.label("user"), func.substr(summary, 1, SUMMARY_LENGTH).label("summary"),
                               open_reports.label("report_count"))
             .join(projects, projects.c.id == sites.c.project_id)
             .outerjoin(users, users.c.id == owner))
    if wanted.state is not None:
        query = query.where(table.c.state == wanted.state, or_(table.c.state.in_(QUEUE_STATES), open_reports > 0))
    else:
        query = query.where(or_(table.c.state.in_(QUEUE_STATES), open_reports > 0))
    if wanted.project_ids is not None:
        query = query.where(projects.c.id.in_(wanted.project_ids))
    return query


async def _reasons(conn: AsyncConnection, rows: list[Any]) -> dict[tuple[str, int], list[str]]:
    """Open report reasons of the listed items, oldest first, at most MAX_REASONS each."""
    found: dict[tuple[str, int], list[str]] = defaultdict(list)
    for kind, column in moderation.REPORT_COLUMNS.items():
        ids = [row.id for row in rows if row.kind == kind and row.report_count]
        if not ids:
            continue
        result = await conn.execute(select(column, reports.c.reason)
                                    .where(column.in_(ids), reports.c.cleared_at.is_(None),
                                           reports.c.reason.is_not(None))
                                    .order_by(reports.c.created_at, reports.c.id))
        for item_id, reason in result:
            if len(found[(kind, item_id)]) < MAX_REASONS:
                found[(kind, item_id)].append(reason)
    return found


def _item(row: Any, reasons: dict[tuple[str, int], list[str]]) -> dict[str, Any]:
    parents: dict[str, Any] = {"project": row.project}
    if row.kind != "site":
        parents["site"] = row.site
    if row.kind == "comment":
        parents["memory"] = row.memory
    item: dict[str, Any] = {
        "type": row.kind,
        "id": row.id,
        "identifier": row.site if row.kind == "site" else row.id,
        "parents": parents,
        "state": row.state,
        "created_at": rfc3339(row.created_at),
        "summary": row.summary or "",
        "report_count": int(row.report_count),
        "reasons": reasons.get((row.kind, row.id), []),
    }
    if row.user is not None:
        item["user"] = row.user
    return item


async def list_queue(conn: AsyncConnection, wanted: QueueFilter, page: PageRequest) -> dict[str, Any]:
    kinds = [wanted.kind] if wanted.kind else list(RANK)
    union = union_all(*(_select(kind, wanted) for kind in kinds)).subquery()
    after = page.after
    if after is not None:
        after = (_cursor_time(after[0]), *after[1:])
    query = keyset(select(union), [union.c.created_at, union.c.rank, union.c.id],
                   PageRequest(limit=page.limit, after=after), descending=False)
    rows = list(await conn.execute(query))
    reasons = await _reasons(conn, rows[:page.limit])
    return paged(rows, page, key=lambda row: (row.created_at.isoformat(), int(row.rank), int(row.id)),
                 item=lambda row: _item(row, reasons))


def _cursor_time(value: object) -> datetime:
    """The time in a queue cursor; a tampered value is the same 422 as any malformed cursor."""
    try:
        return datetime.fromisoformat(str(value))
    except ValueError:
        raise RequestValidationError([{"loc": ("query", "cursor"), "msg": "Invalid cursor",
                                       "type": "value_error"}]) from None
