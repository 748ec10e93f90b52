"""Project reads: one statement for the projects, one for their admins."""

from __future__ import annotations

import enum
from collections import defaultdict
from datetime import datetime
from functools import cache
from typing import Any

from sqlalchemy import and_, bindparam, exists, func, or_, select, true
from sqlalchemy.ext.asyncio import AsyncConnection

from muistot.content.access import project_public_filter
from muistot.db.tables import (
    ReviewState,
    images,
    project_admins,
    project_contact,
    project_information,
    project_moderators,
    projects,
    sites,
    users,
)
from muistot.errors import ApiError
from muistot.identity import Principal
from muistot_data.models import Contact, Project
from muistot_data.queries.localized import build_info, info_aliases, info_columns, join_condition, requested_lang

p = projects.c


@cache
def _select(lang_given: bool, *, require_default_info: bool) -> Any:
    """Projects with their localised info; built once per shape, run with parameters. Without a requested
    language only the default row is joined (it is the requested one)."""
    req, dflt = info_aliases(project_information)
    sites_count = (select(func.count()).select_from(sites)
                   .where(sites.c.project_id == p.id, sites.c.state == ReviewState.published.value)
                   .scalar_subquery())
    joined: Any = projects
    if lang_given:
        requested = join_condition(req, "project_id", p.id, requested_lang(True, p.default_language))
        joined = joined.outerjoin(req, requested)
    dflt_on = join_condition(dflt, "project_id", p.id, p.default_language)
    joined = joined.join(dflt, dflt_on) if require_default_info else joined.outerjoin(dflt, dflt_on)
    joined = (joined.outerjoin(images, images.c.id == p.image_id)
              .outerjoin(project_contact, project_contact.c.project_id == p.id))
    pc = project_contact.c
    return select(p.id, p.name, p.starts, p.ends, p.admin_posting, p.auto_publish, images.c.file_name.label("image"),
                  pc.project_id.label("contact_project"), pc.contact_email, pc.has_research_permit, pc.can_contact,
                  sites_count.label("sites_count"),
                  *info_columns(req if lang_given else None, dflt)).select_from(joined)


ADMINS = (select(project_admins.c.project_id, users.c.username)
          .join(users, users.c.id == project_admins.c.user_id)
          .where(project_admins.c.project_id.in_(bindparam("project_ids", expanding=True)))
          .order_by(project_admins.c.project_id, users.c.username_key))


async def _admins(conn: AsyncConnection, project_ids: list[int]) -> dict[int, list[str]]:
    found: dict[int, list[str]] = defaultdict(list)
    if not project_ids:
        return found
    for row in await conn.execute(ADMINS, {"project_ids": project_ids}):
        found[row.project_id].append(row.username)
    return found


def _project(row: Any, admins: list[str]) -> Project:
    contact = None
    if row.contact_project is not None:
        contact = Contact(contact_email=row.contact_email, has_research_permit=bool(row.has_research_permit),
                          can_contact=bool(row.can_contact))
    return Project(id=row.name, info=build_info(row, row.name), image=row.image, starts=row.starts, ends=row.ends,
                   admins=admins, contact=contact, admin_posting=bool(row.admin_posting),
                   auto_publish=bool(row.auto_publish), sites_count=int(row.sites_count))


class Listing(enum.Enum):
    """Which projects a caller lists: the public ones, every one (superusers), or the public ones and the
    ones they administer or moderate."""

    public = "public"
    everything = "everything"
    public_and_staffed = "public_and_staffed"


def listing_of(user: Principal | None, superuser: bool) -> Listing:
    if user is None:
        return Listing.public
    return Listing.everything if superuser else Listing.public_and_staffed


@cache
def _list_statement(listing: Listing, lang_given: bool) -> Any:
    """The original showed an admin of any project every project (docs/contract.md, "Recommended behaviours built")."""
    public = project_public_filter(bindparam("now"))
    viewer = bindparam("viewer_id")
    staff = or_(exists().where(and_(project_admins.c.project_id == p.id, project_admins.c.user_id == viewer)),
                exists().where(and_(project_moderators.c.project_id == p.id, project_moderators.c.user_id == viewer)))
    condition = {Listing.public: public, Listing.everything: true(), Listing.public_and_staffed: or_(public, staff)}
    return _select(lang_given, require_default_info=True).where(condition[listing]).order_by(p.id)


@cache
def _one_statement(lang_given: bool) -> Any:
    return _select(lang_given, require_default_info=False).where(p.id == bindparam("project_id"))


async def list_projects(conn: AsyncConnection, user: Principal | None, superuser: bool, lang: str | None,
                        now: datetime) -> list[Project]:
    """Published projects inside their date window, plus every project of a superuser and the projects a person
    administers or moderates."""
    params = {"now": now, "viewer_id": user.user_id if user is not None else None, "lang": lang}
    rows = (await conn.execute(_list_statement(listing_of(user, superuser), lang is not None), params)).all()
    admins = await _admins(conn, [row.id for row in rows])
    return [_project(row, admins.get(row.id, [])) for row in rows]


async def one_project(conn: AsyncConnection, project_id: int, lang: str | None) -> Project:
    row = (await conn.execute(_one_statement(lang is not None), {"project_id": project_id, "lang": lang})).one()
    if row.dflt_lang is None:
        raise ApiError(406, "Project missing default localization")
    admins = await _admins(conn, [project_id])
    return _project(row, admins.get(project_id, []))
