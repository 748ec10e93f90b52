"""`GET /me/export`: everything stored about the signed-in person, as one JSON document (GDPR art. 15/20)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncConnection

from muistot import identities
from muistot.db.engine import utcnow
from muistot.db.tables import audit_log, images, memories, projects, reports, sites, superusers, user_personal_data
from muistot.passwords import usable_password
from muistot.sessions import SessionInfo
from muistot.times import from_timestamp, with_utc_times
from muistot_users.queries import one_time_secrets, own_content
from muistot_users.queries.profile import PERSONAL_FIELDS, load_account


async def _all(conn: AsyncConnection, query: Any) -> list[dict[str, Any]]:
    return [dict(row) for row in (await conn.execute(query)).mappings().all()]


async def _profile(conn: AsyncConnection, user_id: int) -> dict[str, Any]:
    account = await load_account(conn, user_id)
    personal = (await conn.execute(select(user_personal_data).where(user_personal_data.c.user_id == user_id))
                ).mappings().first()
    profile = {
        "id": account["id"], "username": account["username"], "email": account["email"],
        "verified": bool(account["verified"]),
        "has_password": usable_password(account["password_hash"], account["password_confirmed"]),
        "language": account["lang"], "created_at": account["created_at"], "modified_at": account["modified_at"],
    }
    if personal is not None:
        profile["personal_data"] = {**{name: personal[name] for name in PERSONAL_FIELDS},
                                    "modified_at": personal["modified_at"]}
    return profile


async def _listed(conn: AsyncConnection, user_id: int, name: str, *extra: Any) -> list[dict[str, Any]]:
    build_query, key, item = own_content.LISTS[name]
    rows = (await conn.execute(build_query(user_id).add_columns(*extra).order_by(key))).mappings().all()
    return [{**item(row), **{column.name: row[column.name] for column in extra}} for row in rows]


async def _reports(conn: AsyncConnection, user_id: int) -> list[dict[str, Any]]:
    query = (select(reports.c.target_type, reports.c.site_id, reports.c.memory_id, reports.c.comment_id,
                    reports.c.reason, reports.c.created_at, reports.c.cleared_at, sites.c.name.label("site"),
                    projects.c.name.label("project"))
             .select_from(reports.outerjoin(sites, sites.c.id == reports.c.site_id)
                          .outerjoin(projects, projects.c.id == sites.c.project_id))
             .where(reports.c.user_id == user_id).order_by(reports.c.id))
    out = []
    for row in await _all(conn, query):
        target = {"site": row["site"], "project": row["project"]} if row["target_type"] == "site" else \
            {"memory": row["memory_id"]} if row["target_type"] == "memory" else {"comment": row["comment_id"]}
        out.append({"target_type": row["target_type"], **target, "reason": row["reason"],
                    "created_at": row["created_at"], "cleared": row["cleared_at"] is not None})
    return out


async def build_export(conn: AsyncConnection, user_id: int, sessions: list[SessionInfo],
                       current_session: str) -> dict[str, Any]:
    profile = await _profile(conn, user_id)
    superuser = await conn.scalar(select(superusers.c.created_at).where(superusers.c.user_id == user_id))
    uploaded = await _all(conn, select(images.c.file_name, images.c.content_type, images.c.size, images.c.width,
                                       images.c.height, images.c.created_at)
                          .where(images.c.uploader_id == user_id).order_by(images.c.id))
    actions = await _all(conn, select(audit_log.c.action, audit_log.c.target_type, audit_log.c.target_id,
                                      projects.c.name.label("project"), audit_log.c.created_at)
                         .select_from(audit_log.outerjoin(projects, projects.c.id == audit_log.c.project_id))
                         .where(audit_log.c.actor_id == user_id).order_by(audit_log.c.id))
    return with_utc_times({
        "exported_at": utcnow(),
        "profile": profile,
        "sessions": [{"id": info.id, "created": from_timestamp(info.created),
                      "last_seen": from_timestamp(info.last_seen), "expires": from_timestamp(info.expires),
                      "client": info.client, "current": info.id == current_session}
                     for info in sessions],
        "roles": {"superuser": superuser is not None, "superuser_since": superuser,
                  "projects": await _listed(conn, user_id, "projects")},
        "sites": await _listed(conn, user_id, "sites"),
        "memories": await _listed(conn, user_id, "memories", memories.c.story),
        "comments": await _listed(conn, user_id, "comments"),
        "reports": await _reports(conn, user_id),
        "images": uploaded,
        "pending_requests": await one_time_secrets.outstanding(conn, user_id),
        "sign_in_providers": [{"provider": identity.provider, "issuer": identity.issuer, "subject": identity.subject,
                               "email": identity.email, "linked_at": identity.linked_at,
                               "last_used_at": identity.last_used_at}
                              for identity in await identities.linked(conn, user_id)],
        "moderation_actions": actions,
    })
