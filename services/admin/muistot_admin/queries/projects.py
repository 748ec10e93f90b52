"""SQL of the project lifecycle: creating and changing projects, their contact row and admins."""

from __future__ import annotations

from typing import Any

from sqlalchemy import delete, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection

from muistot.db.engine import utcnow
from muistot.db.tables import project_admins, project_contact, project_information, projects, users
from muistot.errors import ApiError
from muistot.text import fold
from muistot_admin.models import NewProject, ProjectContact, to_utc


async def project_exists(conn: AsyncConnection, name: str) -> bool:
    return await conn.scalar(select(projects.c.id).where(projects.c.name_key == fold(name))) is not None


async def user_ids(conn: AsyncConnection, names: list[str]) -> dict[str, int]:
    """Folded username → id of the users that exist."""
    if not names:
        return {}
    rows = await conn.execute(select(users.c.id, users.c.username_key)
                              .where(users.c.username_key.in_([fold(name) for name in names])))
    return {row.username_key: int(row.id) for row in rows}


async def insert_project(conn: AsyncConnection, body: NewProject, image_id: int | None, user_id: int) -> int:
    """The new project's id; 409 "Project exists" when a concurrent request created it first."""
    now = utcnow()
    try:
        result = await conn.execute(projects.insert().values(
            name=body.id, name_key=fold(body.id), image_id=image_id, starts=to_utc(body.starts),
            ends=to_utc(body.ends), admin_posting=body.admin_posting, auto_publish=body.auto_publish,
            default_language=body.info.lang, published=False, creator_id=user_id, modifier_id=user_id,
            created_at=now, modified_at=now))
    except IntegrityError:
        raise ApiError(409, "Project exists") from None
    return int(result.inserted_primary_key[0])


async def add_admins(conn: AsyncConnection, project_id: int, admin_ids: set[int]) -> None:
    now = utcnow()
    for admin_id in sorted(admin_ids):
        await conn.execute(project_admins.insert().values(project_id=project_id, user_id=admin_id, created_at=now))


async def put_contact(conn: AsyncConnection, project_id: int, contact: ProjectContact | None, user_id: int) -> None:
    """An object replaces the whole contact row; None deletes it."""
    await conn.execute(delete(project_contact).where(project_contact.c.project_id == project_id))
    if contact is not None:
        now = utcnow()
        await conn.execute(project_contact.insert().values(
            project_id=project_id, contact_email=contact.contact_email, can_contact=contact.can_contact,
            has_research_permit=contact.has_research_permit, modifier_id=user_id, created_at=now,
            modified_at=now))


async def has_texts_in(conn: AsyncConnection, project_id: int, language: str) -> bool:
    found = await conn.scalar(select(project_information.c.lang).where(
        project_information.c.project_id == project_id, project_information.c.lang == language))
    return found is not None


async def change_project(conn: AsyncConnection, project_id: int, user_id: int, columns: dict[str, Any]) -> None:
    await conn.execute(update(projects).where(projects.c.id == project_id)
                       .values(modifier_id=user_id, modified_at=utcnow(), **columns))
