"""Memory and comment reads: one statement per level, whatever the count."""

from __future__ import annotations

import enum
from collections import defaultdict
from functools import cache
from typing import Any

from sqlalchemy import bindparam, func, select
from sqlalchemy.ext.asyncio import AsyncConnection

from muistot.content.access import Viewer, Visibility, visibility_of, visible_filter
from muistot.db.tables import ReviewState, comments, images, memories, users
from muistot.settings import Settings
from muistot_data.models import Comment, Memory
from muistot_data.queries.flags import entry_flags

m, c = memories.c, comments.c


class Nest(enum.Enum):
    """What a memory read nests: no `comments` field, the visible comments, or an empty list."""

    none = "none"
    visible = "visible"
    empty = "empty"


def nesting(include_comments: bool, settings: Settings) -> Nest:
    """`include_comments=true` nests nothing while comments are switched off (MUISTOT_DISABLE_COMMENTS)."""
    if not include_comments:
        return Nest.none
    return Nest.empty if settings.disable_comments else Nest.visible


async def _nested(conn: AsyncConnection, memory_ids: list[int], viewer: Viewer,
                  nest: Nest) -> dict[int, list[Comment]] | None:
    if nest is Nest.none:
        return None
    if nest is Nest.empty:
        return {}
    return await comments_of(conn, memory_ids, viewer)


@cache
def _memory_select() -> Any:
    comments_count = (select(func.count()).select_from(comments)
                      .where(c.memory_id == m.id, c.state == ReviewState.published.value).scalar_subquery())
    return (select(m.id, m.site_id, m.user_id, m.title, m.story, m.state, m.modified_at,
                   users.c.username.label("user"), images.c.file_name.label("image"),
                   comments_count.label("comments_count"))
            .select_from(memories.outerjoin(users, users.c.id == m.user_id)
                         .outerjoin(images, images.c.id == m.image_id)))


@cache
def _comment_select() -> Any:
    return (select(c.id, c.memory_id, c.user_id, c.comment, c.state, c.modified_at, users.c.username.label("user"))
            .select_from(comments.outerjoin(users, users.c.id == c.user_id)))


@cache
def _memories_statement(visibility: Visibility) -> Any:
    return (_memory_select().where(m.site_id.in_(bindparam("site_ids", expanding=True)),
                                   visible_filter(m.state, m.user_id, visibility)).order_by(m.id))


@cache
def _comments_statement(visibility: Visibility) -> Any:
    return (_comment_select().where(c.memory_id.in_(bindparam("memory_ids", expanding=True)),
                                    visible_filter(c.state, c.user_id, visibility)).order_by(c.id))


ONE_MEMORY = _memory_select().where(m.id == bindparam("memory_id"))
ONE_COMMENT = _comment_select().where(c.id == bindparam("comment_id"))


def _comment(row: Any, viewer: Viewer) -> Comment:
    own, waiting = entry_flags(viewer, row.user_id, row.state)
    return Comment(id=row.id, user=row.user, comment=row.comment, modified_at=row.modified_at, own=own,
                   waiting_approval=waiting)


def _memory(row: Any, viewer: Viewer, nested: dict[int, list[Comment]] | None) -> Memory:
    own, waiting = entry_flags(viewer, row.user_id, row.state)
    return Memory(id=row.id, user=row.user, title=row.title, story=row.story, image=row.image,
                  comments_count=int(row.comments_count), modified_at=row.modified_at, own=own,
                  waiting_approval=waiting, comments=None if nested is None else nested.get(row.id, []))


async def comments_of(conn: AsyncConnection, memory_ids: list[int], viewer: Viewer) -> dict[int, list[Comment]]:
    """The comments this viewer may see, per memory, in id order."""
    found: dict[int, list[Comment]] = defaultdict(list)
    if not memory_ids:
        return found
    params = {"memory_ids": memory_ids, "viewer_id": viewer.user_id}
    for row in await conn.execute(_comments_statement(visibility_of(viewer)), params):
        found[row.memory_id].append(_comment(row, viewer))
    return found


async def list_memories(conn: AsyncConnection, site_ids: list[int], viewer: Viewer, *,
                        nest: Nest) -> dict[int, list[Memory]]:
    """The memories this viewer may see, per site, in id order (optionally with their visible comments)."""
    found: dict[int, list[Memory]] = defaultdict(list)
    if not site_ids:
        return found
    params = {"site_ids": site_ids, "viewer_id": viewer.user_id}
    rows = (await conn.execute(_memories_statement(visibility_of(viewer)), params)).all()
    nested = await _nested(conn, [row.id for row in rows], viewer, nest)
    for row in rows:
        found[row.site_id].append(_memory(row, viewer, nested))
    return found


async def one_memory(conn: AsyncConnection, memory_id: int, viewer: Viewer, *, nest: Nest) -> Memory:
    row = (await conn.execute(ONE_MEMORY, {"memory_id": memory_id})).one()
    nested = await _nested(conn, [memory_id], viewer, nest)
    return _memory(row, viewer, nested)


async def one_comment(conn: AsyncConnection, comment_id: int, viewer: Viewer) -> Comment:
    row = (await conn.execute(ONE_COMMENT, {"comment_id": comment_id})).one()
    return _comment(row, viewer)
