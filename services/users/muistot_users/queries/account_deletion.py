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

from sqlalchemy import delete
from sqlalchemy.ext.asyncio import AsyncConnection

from muistot.db.tables import comments, memories, users


async def delete_account(conn: AsyncConnection, user_id: int) -> None:
    # Explicit rather than left to ON DELETE SET NULL, so the rule reads here and holds on any schema.
    await conn.execute(memories.update().where(memories.c.user_id == user_id).values(user_id=None))
    await conn.execute(comments.update().where(comments.c.user_id == user_id).values(user_id=None))
    await conn.execute(delete(users).where(users.c.id == user_id))
