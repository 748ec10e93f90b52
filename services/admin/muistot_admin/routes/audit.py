"""`GET /admin/audit`: the admin audit log, newest first, for a project's staff and superusers."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from muistot.content.ids import PID_PATTERN, strip_text
from muistot.deps import DatabaseDep, MaybeCaller, signed_in
from muistot.openapi import errors, missing
from muistot.pagination import PageParams
from muistot_admin.moderation_models import AuditEntries
from muistot_admin.queries.audit import audit_page
from muistot_admin.queries.scope import staff_projects

router = APIRouter(prefix="/admin", tags=["audit"])


@router.get("/audit", response_model=None, responses={
    200: {"model": AuditEntries}, **errors(401, (403, "Not enough privileges"), missing("project"))})
async def list_audit_entries(page: PageParams, caller: MaybeCaller, db: DatabaseDep,
                             project: Annotated[str | None, Query(pattern=PID_PATTERN)] = None) -> dict:
    """Entries of one project (`project=`), or of every project the caller moderates (all for superusers)."""
    reader = signed_in(caller)
    async with db.connect() as conn:
        scope = await staff_projects(conn, reader, strip_text(project) if project else None)
        return await audit_page(conn, scope, page)
