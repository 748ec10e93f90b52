"""`/admin/superusers`: who the superusers are (superusers only; checked live against the DB)."""

from __future__ import annotations

from fastapi import APIRouter, Request
from sqlalchemy import select

from muistot.auth import CurrentUser
from muistot.db.tables import superusers, users
from muistot.roles import require_superuser

router = APIRouter(prefix="/admin", tags=["admin"])


@router.get("/superusers")
async def list_superusers(request: Request, user: CurrentUser) -> dict[str, list[str]]:
    """Usernames of every superuser."""
    async with request.app.state.db.connect() as conn:
        await require_superuser(conn, user)
        rows = await conn.execute(
            select(users.c.username).join(superusers, superusers.c.user_id == users.c.id).order_by(users.c.username))
        return {"items": [row.username for row in rows]}
