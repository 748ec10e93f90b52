"""`GET /projects` and `GET /projects/{project}`. Project writes belong to the admin service."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response

from muistot.content.access import load_chain
from muistot.content.cache import ANONYMOUS
from muistot.content.ids import ProjectPath
from muistot.content.language import requested_read_language
from muistot.db.engine import utcnow
from muistot.deps import DatabaseDep, MaybeCaller, SettingsDep
from muistot.openapi import READ_LANGUAGE, errors, missing
from muistot.roles import standing
from muistot_data.models import Project, Projects
from muistot_data.queries import projects as queries
from muistot_data.responses import read_response

router = APIRouter(tags=["projects"])


@router.get("/projects", response_model=Projects, openapi_extra=READ_LANGUAGE)
async def list_projects(request: Request, caller: MaybeCaller, db: DatabaseDep, settings: SettingsDep) -> Response:
    """Published projects inside their date window, plus the caller's own (staff) projects."""
    lang = requested_read_language(request, settings)
    async with db.connect() as conn:
        standing_of_caller = await standing(conn, caller)

        async def build() -> Projects:
            return Projects(items=await queries.list_projects(conn, caller, standing_of_caller.superuser, lang,
                                                              utcnow()))

        # Without privileges anywhere, a signed-in person lists exactly the public projects, as anonymous
        # callers do; a project's body is the same for everyone who may read it.
        return await read_response(request, caller, build,
                                   shared=None if standing_of_caller.privileged else ANONYMOUS,
                                   localised=lang or settings.default_language)


@router.get("/projects/{project}", response_model=Project, openapi_extra=READ_LANGUAGE,
            responses=errors(missing("project")))
async def get_project(request: Request, project: ProjectPath, caller: MaybeCaller, db: DatabaseDep,
                      settings: SettingsDep) -> Response:
    lang = requested_read_language(request, settings)
    async with db.connect() as conn:
        chain = (await load_chain(conn, caller, project)).require_readable()
        return await read_response(request, caller, lambda: queries.one_project(conn, chain.project.id, lang),
                                   shared=ANONYMOUS if chain.public else None,
                                   localised=lang or chain.project.default_language)
