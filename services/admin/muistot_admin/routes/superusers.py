"""`/admin/superusers`: list, grant and revoke superuser rights (superusers only; checked live).

A change rewrites the affected user's sessions at once, and the last superuser can never be
removed, so the service always keeps someone who can manage it.
"""

from __future__ import annotations

from fastapi import APIRouter, Request, Response

from muistot.answers import no_content
from muistot.deps import Caller, DatabaseDep, MaybeCaller, signed_in
from muistot.errors import ApiError
from muistot.openapi import errors
from muistot.roles import is_superuser, require_superuser
from muistot.urls import location
from muistot.write import WriteDep
from muistot_admin.moderation_models import Superusers
from muistot_admin.params import Username
from muistot_admin.queries import roles as queries

router = APIRouter(prefix="/admin", tags=["admin"])


@router.get("/superusers", response_model=None,
            responses={200: {"model": Superusers}, **errors((403, "Not enough privileges"))})
async def list_superusers(caller: Caller, db: DatabaseDep) -> dict[str, list[str]]:
    """Usernames of every superuser."""
    async with db.connect() as conn:
        await require_superuser(conn, caller)
        return {"items": await queries.superuser_names(conn)}


@router.post("/superusers", status_code=201, response_class=Response, responses=errors(
    401, (403, "Not enough privileges"), (404, "User not found"), (409, "User is already a superuser")))
async def add_superuser(request: Request, username: Username, caller: MaybeCaller, write: WriteDep) -> Response:
    """201 + `Location`; 404 "User not found"; 409 "User is already a superuser"."""
    async with write.unit(signed_in(caller)) as unit:
        await require_superuser(unit.conn, unit.actor)
        user_id, stored_name = await queries.find_user(unit.conn, username)
        if await is_superuser(unit.conn, user_id):
            raise ApiError(409, "User is already a superuser")
        await queries.grant_superuser(unit.conn, user_id)
        await unit.audit(action="add_superuser", target_type="user", target_id=stored_name, project_id=None,
                         before={"superuser": False}, after={"superuser": True})
        # Inside the unit: with the session store down the grant is rolled back (503), not half-done. Every
        # check reads the flag live from the database, so sessions rewritten before a failed commit grant nothing.
        await unit.sessions.update_user(user_id, superuser=True)
    return no_content(201, location(request, "admin", "superusers"))


@router.delete("/superusers", status_code=204, responses=errors(
    401, (403, "Not enough privileges"), (404, "User not found"), (409, "Cannot remove the last superuser")))
async def remove_superuser(request: Request, username: Username, caller: MaybeCaller, write: WriteDep) -> Response:
    """204 + `Location` (also when the user was not a superuser); 409 for the last superuser."""
    async with write.unit(signed_in(caller)) as unit:
        await require_superuser(unit.conn, unit.actor)
        user_id, stored_name = await queries.find_user(unit.conn, username)
        holders = await queries.locked_superuser_ids(unit.conn)
        if user_id in holders:
            if len(holders) == 1:
                raise ApiError(409, "Cannot remove the last superuser")
            await queries.remove_superuser(unit.conn, user_id)
            await unit.audit(action="remove_superuser", target_type="user", target_id=stored_name, project_id=None,
                             before={"superuser": True}, after={"superuser": False})
            await unit.sessions.update_user(user_id, superuser=False)  # inside the unit, as above
    return no_content(204, location(request, "admin", "superusers"))
