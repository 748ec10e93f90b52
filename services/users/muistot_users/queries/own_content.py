"""Queries for what the signed-in person administers, moderates or wrote (`/me/projects|sites|memories|comments`).

Every item carries the public ids needed to build its URL (`/projects/{project}/sites/{site}/memories/{memory}/...`)
and its review state, so the author sees what is still waiting for a moderator.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Select, and_, case, exists, or_, select, union
from sqlalchemy.ext.asyncio import AsyncConnection

from muistot.content.states import is_published, waiting_approval
from muistot.db.tables import (
    comments,
    images,
    memories,
    project_admins,
    project_information,
    project_moderators,
    projects,
    site_information,
    sites,
)
from muistot.pagination import PageRequest, keyset, paged
from muistot.times import rfc3339


def _iso(value: datetime | None) -> str | None:
    return None if value is None else rfc3339(value)


def _review(state: str) -> dict[str, Any]:
    return {"state": state, "published": is_published(state), "waiting_approval": waiting_approval(state)}


def _without_nulls(item: dict[str, Any]) -> dict[str, Any]:
    return {key: value for key, value in item.items() if value is not None}


def projects_query(user_id: int) -> Select:
    is_admin = exists().where(project_admins.c.project_id == projects.c.id, project_admins.c.user_id == user_id)
    is_moderator = exists().where(project_moderators.c.project_id == projects.c.id,
                                  project_moderators.c.user_id == user_id)
    return (
        select(projects.c.id, projects.c.name, projects.c.published, projects.c.deleted_at,
               projects.c.default_language, project_information.c.name.label("title"),
               case((is_admin, "admin"), else_="moderator").label("role"))
        .select_from(projects.outerjoin(project_information, and_(
            project_information.c.project_id == projects.c.id,
            project_information.c.lang == projects.c.default_language)))
        .where(or_(is_admin, is_moderator))
    )


def project_item(row: Any) -> dict[str, Any]:
    return _without_nulls({"id": row["name"], "role": row["role"], "title": row["title"],
                           "published": bool(row["published"]), "deleted": row["deleted_at"] is not None,
                           "default_language": row["default_language"]})


def sites_query(user_id: int) -> Select:
    return (
        select(sites.c.id, sites.c.name, sites.c.state, sites.c.lat, sites.c.lon, sites.c.created_at,
               sites.c.modified_at, projects.c.name.label("project"), site_information.c.name.label("title"))
        .select_from(sites.join(projects, projects.c.id == sites.c.project_id).outerjoin(site_information, and_(
            site_information.c.site_id == sites.c.id, site_information.c.lang == projects.c.default_language)))
        .where(sites.c.creator_id == user_id)
    )


def site_item(row: Any) -> dict[str, Any]:
    return _without_nulls({"id": row["name"], "project": row["project"], "title": row["title"],
                           "location": {"lat": row["lat"], "lon": row["lon"]}, **_review(row["state"]),
                           "created_at": _iso(row["created_at"]), "modified_at": _iso(row["modified_at"])})


def memories_query(user_id: int) -> Select:
    return (
        select(memories.c.id, memories.c.title, memories.c.state, memories.c.created_at, memories.c.modified_at,
               images.c.file_name.label("image"), sites.c.name.label("site"), projects.c.name.label("project"))
        .select_from(memories.join(sites, sites.c.id == memories.c.site_id)
                     .join(projects, projects.c.id == sites.c.project_id)
                     .outerjoin(images, images.c.id == memories.c.image_id))
        .where(memories.c.user_id == user_id)
    )


def memory_item(row: Any) -> dict[str, Any]:
    return _without_nulls({"id": row["id"], "site": row["site"], "project": row["project"], "title": row["title"],
                           "image": row["image"], **_review(row["state"]),
                           "created_at": _iso(row["created_at"]), "modified_at": _iso(row["modified_at"])})


def comments_query(user_id: int) -> Select:
    return (
        select(comments.c.id, comments.c.comment, comments.c.state, comments.c.created_at, comments.c.modified_at,
               memories.c.id.label("memory"), sites.c.name.label("site"), projects.c.name.label("project"))
        .select_from(comments.join(memories, memories.c.id == comments.c.memory_id)
                     .join(sites, sites.c.id == memories.c.site_id)
                     .join(projects, projects.c.id == sites.c.project_id))
        .where(comments.c.user_id == user_id)
    )


def comment_item(row: Any) -> dict[str, Any]:
    return _without_nulls({"id": row["id"], "memory": row["memory"], "site": row["site"], "project": row["project"],
                           "comment": row["comment"], **_review(row["state"]),
                           "created_at": _iso(row["created_at"]), "modified_at": _iso(row["modified_at"])})


# name → (query builder, key column, item builder): one table for the four list endpoints and the export.
LISTS = {
    "projects": (projects_query, projects.c.id, project_item),
    "sites": (sites_query, sites.c.id, site_item),
    "memories": (memories_query, memories.c.id, memory_item),
    "comments": (comments_query, comments.c.id, comment_item),
}


async def page(conn: AsyncConnection, name: str, user_id: int, request: PageRequest) -> dict[str, Any]:
    """One page of one of the lists, keyset-paged by id."""
    build_query, key, item = LISTS[name]
    rows = (await conn.execute(keyset(build_query(user_id), [key], request))).mappings().all()
    return paged(rows, request, key=lambda row: (row["id"],), item=item)


async def projects_showing(conn: AsyncConnection, user_id: int) -> set[str]:
    """Projects (by id) whose public reads show this person's name (as author, creator or staff): the cached
    reads a rename or a deletion makes stale."""
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
