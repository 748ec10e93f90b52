"""Reporting content: the per-resource `PUT …/report` endpoints and the generic `POST /report`.

One report per user per item, with an optional reason. An item must be visible to the reporter.
When a report takes an item's open reports over `MUISTOT_REPORT_HIDE_THRESHOLD`, the item is hidden
at once (state `hidden`, so it waits in the moderation queue) and the project's cached reads are
invalidated. Reporting is rate limited per user.
"""

from __future__ import annotations

from fastapi import APIRouter, Body, Request, Response

from muistot import moderation
from muistot.answers import no_content
from muistot.content.access import Chain
from muistot.content.ids import CommentPath, MemoryPath, ProjectPath, SitePath
from muistot.deps import MaybeCaller, signed_in
from muistot.errors import ApiError
from muistot.identity import Principal
from muistot.openapi import errors, missing
from muistot.ratelimit import Limit, RateLimiter
from muistot.urls import location
from muistot.write import Write, WriteDep
from muistot_admin.models import ReportBody, ReportOrder
from muistot_admin.targets import as_order_error, kind_of, load_named_chain, url_parts

router = APIRouter(tags=["reports"])
comment_router = APIRouter(tags=["reports"])  # not mounted when MUISTOT_DISABLE_COMMENTS is set
REPORT_ERRORS = errors(401, missing("comment"), 429)
REPORTS_PER_USER = Limit("report-user", max=30, window=600)


async def _report(write: Write, reporter: Principal, names: dict[str, str | int],
                  reason: str | None) -> tuple[bool, Chain]:
    """Record the report; returns (new report?, chain). Items the caller cannot see are not found."""
    await RateLimiter(write.redis).hit((REPORTS_PER_USER, str(reporter.user_id)))
    async with write.unit(reporter) as unit:
        chain = (await load_named_chain(unit, names)).require_readable()
        target = chain.target
        kind = kind_of(target)
        is_new = await moderation.add_report(unit.conn, kind, target.id, reporter.user_id, reason or None)
        if is_new:
            await moderation.hide_if_over_threshold(unit, kind, target.id, chain.project.id,
                                                    unit.settings.report_hide_threshold)
    return is_new, chain


async def _report_resource(request: Request, write: Write, caller: Principal | None, names: dict[str, str | int],
                           body: ReportBody | None) -> Response:
    """Always 204 with the item's `Location`, repeats included (the contract's per-resource rule)."""
    _, chain = await _report(write, signed_in(caller), names, body.reason if body else None)
    return no_content(204, location(request, *url_parts(chain)))


@router.put("/projects/{project}/sites/{site}/report", status_code=204, responses=REPORT_ERRORS)
async def report_site(request: Request, project: ProjectPath, site: SitePath, caller: MaybeCaller, write: WriteDep,
                      body: ReportBody | None = Body(None)) -> Response:
    return await _report_resource(request, write, caller, {"project": project, "site": site}, body)


@router.put("/projects/{project}/sites/{site}/memories/{memory}/report", status_code=204,
            responses=REPORT_ERRORS)
async def report_memory(request: Request, project: ProjectPath, site: SitePath, memory: MemoryPath,
                        caller: MaybeCaller, write: WriteDep, body: ReportBody | None = Body(None)) -> Response:
    return await _report_resource(request, write, caller, {"project": project, "site": site, "memory": memory},
                                  body)


@comment_router.put("/projects/{project}/sites/{site}/memories/{memory}/comments/{comment}/report",
                    status_code=204, responses=REPORT_ERRORS)
async def report_comment(request: Request, project: ProjectPath, site: SitePath, memory: MemoryPath,
                         comment: CommentPath, caller: MaybeCaller, write: WriteDep,
                         body: ReportBody | None = Body(None)) -> Response:
    names = {"project": project, "site": site, "memory": memory, "comment": comment}
    return await _report_resource(request, write, caller, names, body)


@router.post("/report", status_code=204, responses={
    304: {"description": "Already reported by this user"}, **errors(401, (404, "Not Found"), 429),
    501: {"description": "Projects cannot be reported", **errors((501, "Not Implemented"))[501]}})
async def report_order(order: ReportOrder, caller: MaybeCaller, write: WriteDep) -> Response:
    """Report anything named by an order: 204 the first time, 304 for this user's repeat."""
    reporter = signed_in(caller)
    if order.type == "project":
        raise ApiError(501)
    try:
        is_new, _ = await _report(write, reporter, order.chain(), order.reason)
    except ApiError as error:
        raise as_order_error(error) from None
    return no_content(204) if is_new else no_content(304)
