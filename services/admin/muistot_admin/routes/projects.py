"""Project lifecycle: `POST /projects`, `PATCH /projects/{p}` and `DELETE /projects/{p}` (soft delete).

Superusers create projects (with `MUISTOT_ANY_USER_CREATES_PROJECTS=true`, any signed-in user may,
and then becomes the project's admin). Only admins and superusers change or delete a project;
moderators cannot. Images are stored before the transaction and deleted again if it fails.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request, Response
from sqlalchemy import delete, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection

from muistot import audit
from muistot.auth import MaybeUser, signed_in
from muistot.content import generations
from muistot.content.ids import ProjectPath
from muistot.content.language import require_supported
from muistot.content.texts import InfoBody
from muistot.content.urls import location
from muistot.db.engine import utcnow
from muistot.db.tables import project_admins, project_contact, project_information, projects, users
from muistot.errors import ApiError
from muistot.identity import Principal
from muistot.images import ImageUploads, delete_files, image_uploads, insert_image, release_images
from muistot.openapi import errors, missing, nothing_changed
from muistot.roles import SUPERUSER_REQUIRED, Role, is_superuser
from muistot.storage import storage_of
from muistot.text import fold
from muistot_admin.common import unchanged
from muistot_admin.project_models import ModifiedProject, NewProject, ProjectContact, to_utc
from muistot_admin.publishing import soft_delete_project
from muistot_admin.targets import load_managed_chain

router = APIRouter(tags=["projects"])


async def _upload(conn: AsyncConnection, uploads: ImageUploads, text: str, user: Principal) -> int:
    stored = await uploads.add(text)
    return await insert_image(conn, stored, user.user_id)


async def _write_info(conn: AsyncConnection, project_id: int, info: InfoBody, user: Principal) -> None:
    """Create or overwrite the project's texts in `info.lang`."""
    now = utcnow()
    values = {"name": info.name, "abstract": info.abstract, "description": info.description,
              "modifier_id": user.user_id, "modified_at": now}
    result = await conn.execute(update(project_information)
                                .where(project_information.c.project_id == project_id,
                                       project_information.c.lang == info.lang).values(**values))
    if not result.rowcount:
        await conn.execute(project_information.insert().values(project_id=project_id, lang=info.lang,
                                                               created_at=now, **values))


async def _write_contact(conn: AsyncConnection, project_id: int, contact: ProjectContact | None,
                         user: Principal) -> None:
    """An object replaces the whole contact row; None deletes it."""
    await conn.execute(delete(project_contact).where(project_contact.c.project_id == project_id))
    if contact is not None:
        now = utcnow()
        await conn.execute(project_contact.insert().values(
            project_id=project_id, contact_email=contact.contact_email, can_contact=contact.can_contact,
            has_research_permit=contact.has_research_permit, modifier_id=user.user_id, created_at=now,
            modified_at=now))


async def _user_ids(conn: AsyncConnection, names: list[str]) -> dict[str, int]:
    """Folded username → id of the users that exist."""
    if not names:
        return {}
    rows = await conn.execute(select(users.c.id, users.c.username_key)
                              .where(users.c.username_key.in_([fold(name) for name in names])))
    return {row.username_key: int(row.id) for row in rows}


@router.post("/projects", status_code=201, response_class=Response, responses=errors(
    400, 401, (403, "Not enough privileges"), (404, "Admins not found"), (406, "Language not supported"),
    (409, "Project exists")))
async def create_project(request: Request, body: NewProject, user: MaybeUser) -> Response:
    """201 + `Location`; the project starts unpublished with `info.lang` as its default language."""
    caller = signed_in(user)
    state = request.app.state
    storage = storage_of(state)
    async with image_uploads(storage, state.settings) as uploads, state.db.transaction() as conn:
        superuser = await is_superuser(conn, caller.user_id)
        if not superuser and not state.settings.any_user_creates_projects:
            # Says what is needed: the original's scope message named an admin scope that does not suffice.
            raise ApiError(403, "Not enough privileges", [SUPERUSER_REQUIRED])
        if await conn.scalar(select(projects.c.id).where(projects.c.name_key == fold(body.id))) is not None:
            raise ApiError(409, "Project exists")
        require_supported(body.info.lang, state.settings)
        image_id = await _upload(conn, uploads, body.image, caller) if body.image is not None else None
        admin_ids = await _user_ids(conn, body.admins)
        missing = [name for name in body.admins if fold(name) not in admin_ids]
        if missing:
            raise ApiError(404, "Admins not found", missing)
        now = utcnow()
        try:
            project_id = int((await conn.execute(projects.insert().values(
                name=body.id, name_key=fold(body.id), image_id=image_id, starts=to_utc(body.starts),
                ends=to_utc(body.ends), admin_posting=body.admin_posting, auto_publish=body.auto_publish,
                default_language=body.info.lang, published=False, creator_id=caller.user_id,
                modifier_id=caller.user_id, created_at=now, modified_at=now))).inserted_primary_key[0])
        except IntegrityError:  # created by a concurrent request since the check above
            raise ApiError(409, "Project exists") from None
        await _write_info(conn, project_id, body.info, caller)
        if body.contact is not None:
            await _write_contact(conn, project_id, body.contact, caller)
        admins = set(admin_ids.values())
        if not superuser:
            admins.add(caller.user_id)  # someone must be able to publish the project they created
        for admin_id in sorted(admins):
            await conn.execute(project_admins.insert().values(project_id=project_id, user_id=admin_id,
                                                              created_at=now))
        await audit.record(conn, actor=caller, action="create", target_type="project", target_id=body.id,
                           project_id=project_id, after={
                               "default_language": body.info.lang, "auto_publish": body.auto_publish,
                               "admin_posting": body.admin_posting, "admins": sorted(body.admins),
                               "starts": body.starts, "ends": body.ends})
    await generations.bump(state.redis, body.id)
    return Response(status_code=201, headers={"Location": location(request, "projects", body.id)})


@router.patch("/projects/{project}", status_code=204, responses={**nothing_changed(), **errors(
    400, 401, (403, "Unauthorized", "Not enough privileges"), missing("project"),
    (406, "Language not supported"), (409, "Project has no texts in that language"))})
async def modify_project(request: Request, project: ProjectPath, body: ModifiedProject, user: MaybeUser) -> Response:
    """204 + `Location` when any field was applied, 304 for an empty body (or only `info: null`)."""
    caller = signed_in(user)
    state = request.app.state
    storage = storage_of(state)
    before: dict[str, Any] = {}
    after: dict[str, Any] = {}
    orphans: list[str] = []
    async with image_uploads(storage, state.settings) as uploads, state.db.transaction() as conn:
        chain = await load_managed_chain(conn, caller, Role.admin, project)
        current = chain.project
        columns: dict[str, Any] = {}
        for name in ("starts", "ends", "auto_publish", "admin_posting"):
            if body.sent(name):
                value = getattr(body, name)
                columns[name] = to_utc(value) if name in ("starts", "ends") else value
                before[name], after[name] = getattr(current, name), columns[name]
        if body.info is not None:
            require_supported(body.info.lang, state.settings)
        if body.sent("default_language"):
            language = str(body.default_language)
            require_supported(language, state.settings)
            has_texts = await conn.scalar(select(project_information.c.lang).where(
                project_information.c.project_id == current.id, project_information.c.lang == language))
            if has_texts is None and (body.info is None or body.info.lang != language):
                # Without texts in its default language the project could no longer be shown (§2).
                raise ApiError(409, "Project has no texts in that language", [language])
            columns["default_language"] = language
            before["default_language"], after["default_language"] = current.default_language, language
        if body.sent("image"):
            columns["image_id"] = await _upload(conn, uploads, body.image, caller) if body.image else None
            before["image"], after["image"] = current.image_id is not None, body.image is not None
        if body.sent("contact"):
            await _write_contact(conn, current.id, body.contact, caller)
            after["contact"] = body.contact is not None
        if body.info is not None:
            await _write_info(conn, current.id, body.info, caller)
            after["info"] = body.info.lang
        if not after:
            return unchanged()
        await conn.execute(update(projects).where(projects.c.id == current.id)
                           .values(modifier_id=caller.user_id, modified_at=utcnow(), **columns))
        if "image_id" in columns and current.image_id is not None:
            orphans = await release_images(conn, [current.image_id])
        await audit.record(conn, actor=caller, action="update", target_type="project", target_id=current.name,
                           project_id=current.id, before=before, after=after)
    await delete_files(storage, orphans)
    await generations.bump(state.redis, current.name)
    return Response(status_code=204, headers={"Location": location(request, "projects", current.name)})


@router.delete("/projects/{project}", status_code=204, responses=errors(
    401, (403, "Unauthorized", "Not enough privileges"), missing("project")))
async def delete_project(request: Request, project: ProjectPath, user: MaybeUser) -> Response:
    """Soft delete: the project is unpublished and marked deleted; publishing it again restores it.

    Always 204 with `Location` = the project list, also when it was already deleted.
    """
    caller = signed_in(user)
    state = request.app.state
    async with state.db.transaction() as conn:
        chain = await load_managed_chain(conn, caller, Role.admin, project)
        changed = await soft_delete_project(conn, chain.project, caller)
    if changed:
        await generations.bump(state.redis, chain.project.name)
    return Response(status_code=204, headers={"Location": location(request, "projects")})
