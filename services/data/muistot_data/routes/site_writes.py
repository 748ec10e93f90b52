"""Contributor writes on sites (§7.4–§7.6): create, patch, delete."""

from __future__ import annotations

from fastapi import Request
from fastapi.responses import Response
from sqlalchemy import delete, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from muistot.auth import MaybeUser, signed_in
from muistot.content.access import load_chain
from muistot.content.ids import ProjectPath, SitePath
from muistot.content.language import require_supported
from muistot.content.retry import retry_deadlocks
from muistot.content.states import initial_state
from muistot.content.texts import InfoBody
from muistot.content.urls import location
from muistot.db.engine import utcnow
from muistot.db.tables import memories, site_information, sites
from muistot.errors import ApiError
from muistot.openapi import errors, missing, nothing_changed
from muistot.roles import Role
from muistot.text import fold
from muistot_data.models import ModifiedSite, NewSite
from muistot_data.responses import no_content
from muistot_data.writes import committed, write, write_router

router = write_router("sites")

SITES = "/projects/{project}/sites"


async def put_info(conn: AsyncConnection, site_id: int, info: InfoBody, user_id: int) -> None:
    """Create or overwrite the row of `info.lang` (the whole row: fields left out are cleared)."""
    values = {"name": info.name, "abstract": info.abstract, "description": info.description,
              "modifier_id": user_id, "modified_at": utcnow()}
    t = site_information.c
    changed = await conn.execute(update(site_information).where(t.site_id == site_id, t.lang == info.lang)
                                 .values(**values))
    if changed.rowcount == 0:
        await conn.execute(site_information.insert().values(site_id=site_id, lang=info.lang, **values))


@router.post(SITES, status_code=201, response_class=Response, responses=errors(
    400, 401, (403, "Admin posting only"), missing("project"), (406, "Language not supported"), (409, "Site exists")))
@retry_deadlocks
async def create_site(request: Request, project: ProjectPath, body: NewSite, user: MaybeUser) -> Response:
    principal = signed_in(user)
    settings = request.app.state.settings
    async with write(request, principal) as w:
        chain = (await load_chain(w.conn, principal, project)).require_open_for_contributions()
        taken = await w.conn.scalar(select(sites.c.id).where(sites.c.project_id == chain.project.id,
                                                             sites.c.name_key == fold(body.id)))
        if taken is not None:
            raise ApiError(409, "Site exists")
        chain.require_site_posting()
        require_supported(body.info.lang, settings)
        image_id = await w.upload(body.image) if body.image is not None else None
        now = utcnow()
        site_id = (await w.conn.execute(sites.insert().values(
            project_id=chain.project.id, name=body.id, name_key=fold(body.id), image_id=image_id,
            state=initial_state(chain.project.auto_publish).value, lat=body.location.lat, lon=body.location.lon,
            creator_id=principal.user_id, modifier_id=principal.user_id, created_at=now, modified_at=now,
        ))).inserted_primary_key[0]
        await put_info(w.conn, site_id, body.info, principal.user_id)
        if body.info.lang != chain.project.default_language:
            # Every site keeps a row in the project's default language (§7.4).
            await put_info(w.conn, site_id, InfoBody(lang=chain.project.default_language, name=body.info.name),
                           principal.user_id)
    await committed(request, chain.project.name, projects_list=True)
    return no_content(201, location(request, "projects", chain.project.name, "sites", body.id))


@router.patch(SITES + "/{site}", status_code=204, response_class=Response,
              responses={**nothing_changed(), **errors(400, 401, (403, "Admin posting only", "Not enough privileges"),
                                                    missing("site"), (406, "Language not supported"))})
@retry_deadlocks
async def modify_site(request: Request, project: ProjectPath, site: SitePath, body: ModifiedSite,
                      user: MaybeUser) -> Response:
    """Only the creator and project staff may patch a site (DESIGN.md; the original let anyone edit texts)."""
    principal = signed_in(user)
    settings = request.app.state.settings
    async with write(request, principal) as w:
        chain = (await load_chain(w.conn, principal, project, site)).require_readable()
        # Who can see the site learns first that the project takes sites from admins only (§7.5).
        chain.require_site_posting().require(owner=True, min_role=Role.moderator)
        assert chain.site is not None
        if body.info is not None:
            require_supported(body.info.lang, settings)
        values: dict[str, object] = {}
        if body.sent("location") and body.location is not None:
            values.update(lat=body.location.lat, lon=body.location.lon)
        if body.sent("image"):
            values["image_id"] = await w.upload(body.image) if body.image is not None else None
            w.release(chain.site.image_id)
        if not values and body.info is None:
            return no_content(304)
        values.update(modifier_id=principal.user_id, modified_at=utcnow())
        await w.conn.execute(update(sites).where(sites.c.id == chain.site.id).values(**values))
        if body.info is not None:
            await put_info(w.conn, chain.site.id, body.info, principal.user_id)
    await committed(request, chain.project.name, projects_list=False)
    return no_content(204, location(request, "projects", chain.project.name, "sites", chain.site.name))


@router.delete(SITES + "/{site}", status_code=204, response_class=Response,
               responses=errors(401, (403, "Not enough privileges"), missing("site")))
@retry_deadlocks
async def delete_site(request: Request, project: ProjectPath, site: SitePath, user: MaybeUser) -> Response:
    """Hard delete with translations, memories, comments and reports; images nobody else uses go too."""
    principal = signed_in(user)
    async with write(request, principal) as w:
        chain = (await load_chain(w.conn, principal, project, site)).require(owner=True, min_role=Role.admin)
        assert chain.site is not None
        memory_images = await w.conn.scalars(select(memories.c.image_id).where(memories.c.site_id == chain.site.id,
                                                                               memories.c.image_id.is_not(None)))
        w.release(chain.site.image_id, *memory_images)
        await w.conn.execute(delete(sites).where(sites.c.id == chain.site.id))
    await committed(request, chain.project.name, projects_list=True)
    return no_content(204, location(request, "projects", chain.project.name, "sites"))
