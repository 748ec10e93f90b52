"""Project lifecycle: `POST /projects`, `PATCH /projects/{p}` and `DELETE /projects/{p}` (soft delete).

Superusers create projects (with `MUISTOT_ANY_USER_CREATES_PROJECTS=true`, any signed-in user may,
and then becomes the project's admin). Only admins and superusers change or delete a project;
moderators cannot. Images are stored through the write path and deleted again if it rolls back.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request, Response

from muistot.answers import no_content
from muistot.content.ids import ProjectPath
from muistot.content.info import put_info
from muistot.content.language import require_supported
from muistot.deps import MaybeCaller, SettingsDep, signed_in
from muistot.errors import ApiError
from muistot.openapi import errors, missing, nothing_changed
from muistot.roles import SUPERUSER_REQUIRED, Role, is_superuser
from muistot.text import fold
from muistot.urls import location
from muistot.write import WriteDep
from muistot_admin.models import ModifiedProject, NewProject, to_utc
from muistot_admin.queries import projects as queries
from muistot_admin.queries.publishing import soft_delete_project
from muistot_admin.targets import load_managed_chain

router = APIRouter(tags=["projects"])


@router.post("/projects", status_code=201, response_class=Response, responses=errors(
    400, 401, (403, "Not enough privileges"), (404, "Admins not found"), (406, "Language not supported"),
    (409, "Project exists")))
async def create_project(request: Request, body: NewProject, caller: MaybeCaller, settings: SettingsDep,
                         write: WriteDep) -> Response:
    """201 + `Location`; the project starts unpublished with `info.lang` as its default language."""
    creator = signed_in(caller)
    async with write.unit(creator) as unit:
        superuser = await is_superuser(unit.conn, creator.user_id)
        if not superuser and not settings.any_user_creates_projects:
            # Says what is needed: the original's scope message named an admin scope that does not suffice.
            raise ApiError(403, "Not enough privileges", [SUPERUSER_REQUIRED])
        if await queries.project_exists(unit.conn, body.id):
            raise ApiError(409, "Project exists")
        require_supported(body.info.lang, settings)
        image_id = await unit.upload(body.image) if body.image is not None else None
        admin_ids = await queries.user_ids(unit.conn, body.admins)
        absent = [name for name in body.admins if fold(name) not in admin_ids]
        if absent:
            raise ApiError(404, "Admins not found", absent)
        unit.touch(body.id)
        project_id = await queries.insert_project(unit.conn, body, image_id, creator.user_id)
        await put_info(unit.conn, "project", project_id, body.info, creator.user_id)
        if body.contact is not None:
            await queries.put_contact(unit.conn, project_id, body.contact, creator.user_id)
        admins = set(admin_ids.values())
        if not superuser:
            admins.add(creator.user_id)  # someone must be able to publish the project they created
        await queries.add_admins(unit.conn, project_id, admins)
        await unit.audit(action="create", target_type="project", target_id=body.id, project_id=project_id, after={
            "default_language": body.info.lang, "auto_publish": body.auto_publish,
            "admin_posting": body.admin_posting, "admins": sorted(body.admins),
            "starts": body.starts, "ends": body.ends})
    return no_content(201, location(request, "projects", body.id))


@router.patch("/projects/{project}", status_code=204, responses={**nothing_changed(), **errors(
    400, 401, (403, "Unauthorized", "Not enough privileges"), missing("project"),
    (406, "Language not supported"), (409, "Project has no texts in that language"))})
async def modify_project(request: Request, project: ProjectPath, body: ModifiedProject, caller: MaybeCaller,
                         settings: SettingsDep, write: WriteDep) -> Response:
    """204 + `Location` when any field was applied, 304 for an empty body (or only `info: null`)."""
    editor = signed_in(caller)
    before: dict[str, Any] = {}
    after: dict[str, Any] = {}
    async with write.unit(editor) as unit:
        chain = await load_managed_chain(unit, Role.admin, project)
        current = chain.project
        columns: dict[str, Any] = {}
        for name in ("starts", "ends", "auto_publish", "admin_posting"):
            if body.sent(name):
                value = getattr(body, name)
                columns[name] = to_utc(value) if name in ("starts", "ends") else value
                before[name], after[name] = getattr(current, name), columns[name]
        if body.info is not None:
            require_supported(body.info.lang, settings)
        if body.sent("default_language"):
            language = str(body.default_language)
            require_supported(language, settings)
            has_texts = await queries.has_texts_in(unit.conn, current.id, language)
            if not has_texts and (body.info is None or body.info.lang != language):
                # Without texts in its default language the project could no longer be shown.
                raise ApiError(409, "Project has no texts in that language", [language])
            columns["default_language"] = language
            before["default_language"], after["default_language"] = current.default_language, language
        if body.sent("image"):
            columns["image_id"] = await unit.upload(body.image) if body.image else None
            before["image"], after["image"] = current.image_id is not None, body.image is not None
            unit.release(current.image_id)
        if body.sent("contact"):
            await queries.put_contact(unit.conn, current.id, body.contact, editor.user_id)
            after["contact"] = body.contact is not None
        if body.info is not None:
            await put_info(unit.conn, "project", current.id, body.info, editor.user_id)
            after["info"] = body.info.lang
        if not after:
            return no_content(304)
        await queries.change_project(unit.conn, current.id, editor.user_id, columns)
        await unit.audit(action="update", target_type="project", target_id=current.name, project_id=current.id,
                         before=before, after=after)
    return no_content(204, location(request, "projects", current.name))


@router.delete("/projects/{project}", status_code=204, responses=errors(
    401, (403, "Unauthorized", "Not enough privileges"), missing("project")))
async def delete_project(request: Request, project: ProjectPath, caller: MaybeCaller, write: WriteDep) -> Response:
    """Soft delete: the project is unpublished and marked deleted; publishing it again restores it.

    Always 204 with `Location` = the project list, also when it was already deleted.
    """
    async with write.unit(signed_in(caller)) as unit:
        chain = await load_managed_chain(unit, Role.admin, project)
        await soft_delete_project(unit, chain.project)
    return no_content(204, location(request, "projects"))
