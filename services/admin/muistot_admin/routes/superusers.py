"""`/admin/superusers`: list, grant and revoke superuser rights (superusers only; checked live).

A change rewrites the affected user's sessions at once, and the last superuser can never be
removed, so the service always keeps someone who can manage it.
"""

from __future__ import annotations

from fastapi import APIRouter, Request, Response
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from muistot import audit
from muistot.auth import CurrentUser, MaybeUser, signed_in
from muistot.content.urls import location
from muistot.db.engine import utcnow
from muistot.db.tables import superusers, users
from muistot.errors import ApiError
from muistot.openapi import errors
from muistot.roles import is_superuser, require_superuser
from muistot_admin.moderation_models import Superusers
from muistot_admin.params import Username
from muistot_admin.routes.roles import find_user

router = APIRouter(prefix="/admin", tags=["admin"])


@router.get("/superusers", response_model=None,
            responses={200: {"model": Superusers}, **errors((403, "Not enough privileges"))})
async def list_superusers(request: Request, user: CurrentUser) -> dict[str, list[str]]:
    """Usernames of every superuser."""
    async with request.app.state.db.connect() as conn:
        await require_superuser(conn, user)
        rows = await conn.execute(
            select(users.c.username).join(superusers, superusers.c.user_id == users.c.id).order_by(users.c.username))
        return {"items": [row.username for row in rows]}


@router.post("/superusers", status_code=201, response_class=Response, responses=errors(
    401, (403, "Not enough privileges"), (404, "User not found"), (409, "User is already a superuser")))
async def add_superuser(request: Request, username: Username, user: MaybeUser) -> Response:
    """201 + `Location`; 404 "User not found"; 409 "User is already a superuser"."""
    caller = signed_in(user)
    state = request.app.state
    async with state.db.transaction() as conn:
        await require_superuser(conn, caller)
        user_id, stored_name = await find_user(conn, username)
        if await is_superuser(conn, user_id):
            raise ApiError(409, "User is already a superuser")
        try:
            await conn.execute(superusers.insert().values(user_id=user_id, created_at=utcnow()))
        except IntegrityError:  # granted by a concurrent request since the check above
            raise ApiError(409, "User is already a superuser") from None
        await audit.record(conn, actor=caller, action="add_superuser", target_type="user", target_id=stored_name,
                           project_id=None, before={"superuser": False}, after={"superuser": True})
        # Before the commit: with the session store down the grant is rolled back (503), not half-done.
        await state.sessions.update_user(user_id, superuser=True)
    return Response(status_code=201, headers={"Location": location(request, "admin", "superusers")})


@router.delete("/superusers", status_code=204, responses=errors(
    401, (403, "Not enough privileges"), (404, "User not found"), (409, "Cannot remove the last superuser")))
async def remove_superuser(request: Request, username: Username, user: MaybeUser) -> Response:
    """204 + `Location` (also when the user was not a superuser); 409 for the last superuser."""
    caller = signed_in(user)
    state = request.app.state
    async with state.db.transaction() as conn:
        await require_superuser(conn, caller)
        user_id, stored_name = await find_user(conn, username)
        # Lock the superuser rows so two superusers cannot remove each other at the same moment.
        holders = [row.user_id for row in await conn.execute(select(superusers.c.user_id).with_for_update())]
        if user_id in holders:
            if len(holders) == 1:
                raise ApiError(409, "Cannot remove the last superuser")
            await conn.execute(superusers.delete().where(superusers.c.user_id == user_id))
            await audit.record(conn, actor=caller, action="remove_superuser", target_type="user",
                               target_id=stored_name, project_id=None, before={"superuser": True},
                               after={"superuser": False})
            await state.sessions.update_user(user_id, superuser=False)  # before the commit, as above
    return Response(status_code=204, headers={"Location": location(request, "admin", "superusers")})

