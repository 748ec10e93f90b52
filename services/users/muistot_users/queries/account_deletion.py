"""Deleting an account (GDPR art. 17).

Rule: what the person wrote stays, anonymised. Their memories and comments are kept with no author
(`user_id` NULL), like the original kept memories (CHANGELOG.md); comments are kept the same
way instead of being deleted, so replies in a discussion keep their context. Sites they created and
images they uploaded lose their creator/uploader. Everything else about them goes: the user row,
personal data, roles, reports they filed, pending one-time secrets and linked sign-in providers
(cascades), and their sessions.
The moderation audit log keeps the actor's name as written at the time (an accountability record).
"""

from __future__ import annotations

from sqlalchemy import delete, select, union
from sqlalchemy.ext.asyncio import AsyncConnection

from muistot.db.tables import (
    comments,
    memories,
    project_admins,
    project_moderators,
    projects,
    sites,
    users,
)


async def affected_projects(conn: AsyncConnection, user_id: int) -> set[str]:
    """Projects (by id) whose public reads show this person (as author or admin): their caches must be dropped."""
    involved = union(
        select(sites.c.project_id).where(sites.c.creator_id == user_id),
        select(sites.c.project_id).join(memories, memories.c.site_id == sites.c.id)
        .where(memories.c.user_id == user_id),
        select(sites.c.project_id).join(memories, memories.c.site_id == sites.c.id)
        .join(comments, comments.c.memory_id == memories.c.id).where(comments.c.user_id == user_id),
        select(project_admins.c.project_id).where(project_admins.c.user_id == user_id),
        select(project_moderators.c.project_id).where(project_moderators.c.user_id == user_id),
    ).subquery()
    query = select(projects.c.name).join(involved, involved.c.project_id == projects.c.id)
    return {str(row[0]) for row in await conn.execute(query)}


async def delete_account(conn: AsyncConnection, user_id: int) -> None:
    # Explicit rather than left to ON DELETE SET NULL, so the rule reads here and holds on any schema.
    await conn.execute(memories.update().where(memories.c.user_id == user_id).values(user_id=None))
    await conn.execute(comments.update().where(comments.c.user_id == user_id).values(user_id=None))
    await conn.execute(delete(users).where(users.c.id == user_id))
