"""Reports and their consequences, shared by the admin service and the worker.

A report is one row per (user, item) with an optional reason. An item with more than
`MUISTOT_REPORT_HIDE_THRESHOLD` uncleared reports is hidden (state `hidden`) at once and lands in the
moderation queue; a moderator then approves it (reports cleared, published again), rejects it, or
clears the reports. Cleared reports no longer count, so a reviewed item is not hidden again by the
same reports (the original re-hid it every 12 hours, forever).
"""

from __future__ import annotations

import logging

from sqlalchemy import Column, Select, Table, func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection

from muistot.db.engine import utcnow
from muistot.db.tables import ReviewState, comments, memories, projects, reports, sites
from muistot.worker import WorkerContext, job
from muistot.write import Unit, Write

log = logging.getLogger("muistot.moderation")

CONTENT_TABLES: dict[str, Table] = {"site": sites, "memory": memories, "comment": comments}
REPORT_COLUMNS: dict[str, Column] = {"site": reports.c.site_id, "memory": reports.c.memory_id,
                                     "comment": reports.c.comment_id}
AUTO_HIDE_INTERVAL = 600.0


async def add_report(conn: AsyncConnection, kind: str, item_id: int, user_id: int, reason: str | None) -> bool:
    """Record a user's report; False when this user had already reported the item."""
    column = REPORT_COLUMNS[kind]
    existing = await conn.scalar(select(reports.c.id).where(column == item_id, reports.c.user_id == user_id))
    if existing is not None:
        return False
    try:
        # A savepoint, so a concurrent duplicate only undoes this insert, not the whole request.
        async with conn.begin_nested():
            await conn.execute(reports.insert().values(
                {"target_type": kind, column.name: item_id, "user_id": user_id, "reason": reason,
                 "created_at": utcnow()}))
    except IntegrityError:
        return False
    return True


async def open_report_count(conn: AsyncConnection, kind: str, item_id: int) -> int:
    column = REPORT_COLUMNS[kind]
    count = await conn.scalar(select(func.count()).select_from(reports)
                              .where(column == item_id, reports.c.cleared_at.is_(None)))
    return int(count or 0)


async def clear_reports(conn: AsyncConnection, kind: str, item_id: int) -> int:
    """Mark the item's open reports as reviewed; returns how many were open."""
    column = REPORT_COLUMNS[kind]
    result = await conn.execute(update(reports).where(column == item_id, reports.c.cleared_at.is_(None))
                                .values(cleared_at=utcnow()))
    return int(result.rowcount or 0)


async def hide_if_over_threshold(unit: Unit, kind: str, item_id: int, project_id: int, threshold: int) -> bool:
    """Hide a published item whose open reports exceed the threshold; True when it was hidden now."""
    if await open_report_count(unit.conn, kind, item_id) <= threshold:
        return False
    table = CONTENT_TABLES[kind]
    result = await unit.conn.execute(update(table)
                                .where(table.c.id == item_id, table.c.state == ReviewState.published.value)
                                .values(state=ReviewState.hidden.value, modified_at=utcnow()))
    if not result.rowcount:
        return False
    await unit.audit(action="auto_hide", target_type=kind, target_id=item_id, project_id=project_id,
                     before={"state": ReviewState.published.value}, after={"state": ReviewState.hidden.value},
                     by_system=True)
    return True


def _with_project(kind: str) -> Select:
    """Select each item of a kind with the id of its project."""
    if kind == "site":
        return select(sites.c.id, sites.c.project_id)
    if kind == "memory":
        return select(memories.c.id, sites.c.project_id).join(sites, sites.c.id == memories.c.site_id)
    return (select(comments.c.id, sites.c.project_id).join(memories, memories.c.id == comments.c.memory_id)
            .join(sites, sites.c.id == memories.c.site_id))


async def over_threshold(conn: AsyncConnection, threshold: int) -> list[tuple[str, int, int]]:
    """(kind, id, project id) of every published item with more than `threshold` open reports."""
    found: list[tuple[str, int, int]] = []
    for kind, table in CONTENT_TABLES.items():
        column = REPORT_COLUMNS[kind]
        counted = (select(column.label("item_id")).where(column.is_not(None), reports.c.cleared_at.is_(None))
                   .group_by(column).having(func.count() > threshold).subquery())
        rows = await conn.execute(_with_project(kind).join(counted, counted.c.item_id == table.c.id)
                                  .where(table.c.state == ReviewState.published.value))
        found += [(kind, int(row.id), int(row.project_id)) for row in rows]
    return found


async def project_names(conn: AsyncConnection, project_ids: set[int]) -> list[str]:
    return list(await conn.scalars(select(projects.c.name).where(projects.c.id.in_(project_ids))))


@job(AUTO_HIDE_INTERVAL)
async def auto_hide_reported(ctx: WorkerContext) -> None:
    """Safety net behind the immediate check in the report endpoints (e.g. after a threshold change)."""
    threshold = ctx.settings.report_hide_threshold
    hidden: list[tuple[str, int, int]] = []
    async with Write.of(ctx).unit(None) as unit:
        for kind, item_id, project_id in await over_threshold(unit.conn, threshold):
            if await hide_if_over_threshold(unit, kind, item_id, project_id, threshold):
                hidden.append((kind, item_id, project_id))
        if hidden:
            unit.touch(*await project_names(unit.conn, {project_id for _, _, project_id in hidden}))
    if hidden:
        log.info("auto-hid %d reported item(s)", len(hidden))
