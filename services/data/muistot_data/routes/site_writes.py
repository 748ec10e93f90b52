"""Contributor writes on sites: create, patch, delete."""

from __future__ import annotations

from fastapi import Request
from fastapi.responses import Response

from muistot.answers import no_content
from muistot.content.ids import ProjectPath, SitePath
from muistot.content.info import put_info
from muistot.content.language import require_supported
from muistot.content.states import initial_state
from muistot.content.texts import InfoBody
from muistot.db.retry import retry_deadlocks
from muistot.deps import MaybeCaller, SettingsDep, signed_in
from muistot.errors import ApiError
from muistot.openapi import errors, missing, nothing_changed
from muistot.roles import Role
from muistot.urls import location
from muistot.write import WriteDep
from muistot_data.models import ModifiedSite, NewSite
from muistot_data.queries import writes as queries
from muistot_data.writes import write_router

router = write_router("sites")

SITES = "/projects/{project}/sites"


@router.post(SITES, status_code=201, response_class=Response, responses=errors(
    400, 401, (403, "Admin posting only"), missing("project"), (406, "Language not supported"), (409, "Site exists")))
@retry_deadlocks
async def create_site(request: Request, project: ProjectPath, body: NewSite, caller: MaybeCaller,
                      settings: SettingsDep, write: WriteDep) -> Response:
    author = signed_in(caller)
    async with write.unit(author) as unit:
        chain = (await unit.chain(project)).require_open_for_contributions()
        if await queries.site_taken(unit.conn, chain.project.id, body.id):
            raise ApiError(409, "Site exists")
        chain.require_site_posting()
        require_supported(body.info.lang, settings)
        image_id = await unit.upload(body.image) if body.image is not None else None
        site_id = await queries.insert_site(unit.conn, project_id=chain.project.id, name=body.id, image_id=image_id,
                                            state=initial_state(chain.project.auto_publish).value,
                                            lat=body.location.lat, lon=body.location.lon, user_id=author.user_id)
        await put_info(unit.conn, "site", site_id, body.info, author.user_id)
        if body.info.lang != chain.project.default_language:
            # Every site keeps a row in the project's default language (docs/api.md, "Languages").
            await put_info(unit.conn, "site", site_id, InfoBody(lang=chain.project.default_language,
                                                                name=body.info.name), author.user_id)
    return no_content(201, location(request, "projects", chain.project.name, "sites", body.id))


@router.patch(SITES + "/{site}", status_code=204, response_class=Response,
              responses={**nothing_changed(), **errors(400, 401, (403, "Admin posting only", "Not enough privileges"),
                                                    missing("site"), (406, "Language not supported"))})
@retry_deadlocks
async def modify_site(request: Request, project: ProjectPath, site: SitePath, body: ModifiedSite,
                      caller: MaybeCaller, settings: SettingsDep, write: WriteDep) -> Response:
    """Only the creator and project staff may patch a site (the original let anyone edit texts; CHANGELOG.md)."""
    editor = signed_in(caller)
    async with write.unit(editor, projects_list=False) as unit:
        chain = (await unit.chain(project, site)).require_readable()
        # Who can see the site learns first that the project takes sites from admins only.
        chain.require_site_posting().require(owner=True, min_role=Role.moderator)
        assert chain.site is not None
        if body.info is not None:
            require_supported(body.info.lang, settings)
        values: dict[str, object] = {}
        if body.sent("location") and body.location is not None:
            values.update(lat=body.location.lat, lon=body.location.lon)
        if body.sent("image"):
            values["image_id"] = await unit.upload(body.image) if body.image is not None else None
            unit.release(chain.site.image_id)
        if not values and body.info is None:
            return no_content(304)
        await queries.change(unit.conn, "site", chain.site.id, {"modifier_id": editor.user_id, **values})
        if body.info is not None:
            await put_info(unit.conn, "site", chain.site.id, body.info, editor.user_id)
    return no_content(204, location(request, "projects", chain.project.name, "sites", chain.site.name))


@router.delete(SITES + "/{site}", status_code=204, response_class=Response,
               responses=errors(401, (403, "Not enough privileges"), missing("site")))
@retry_deadlocks
async def delete_site(request: Request, project: ProjectPath, site: SitePath, caller: MaybeCaller,
                      write: WriteDep) -> Response:
    """Hard delete with translations, memories, comments and reports; images nobody else uses go too."""
    async with write.unit(signed_in(caller)) as unit:
        chain = (await unit.chain(project, site)).require(owner=True, min_role=Role.admin)
        assert chain.site is not None
        unit.release(chain.site.image_id, *await queries.memory_images(unit.conn, chain.site.id))
        await queries.remove(unit.conn, "site", chain.site.id)
    return no_content(204, location(request, "projects", chain.project.name, "sites"))
