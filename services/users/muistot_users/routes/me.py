"""`/me`: the signed-in person's own account (spec/api-auth-admin.md §4)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from sqlalchemy import select

from muistot.auth import CurrentUser
from muistot.db.tables import user_personal_data, users
from muistot.errors import ApiError

router = APIRouter(prefix="/me", tags=["me"])


@router.get("", response_model_exclude_none=True)
async def get_me(request: Request, user: CurrentUser) -> dict[str, Any]:
    """The profile: username, e-mail and the personal data that is set (absent fields are omitted)."""
    query = (
        select(users.c.username, users.c.email, user_personal_data.c.first_name, user_personal_data.c.last_name,
               user_personal_data.c.country, user_personal_data.c.city, user_personal_data.c.birth_date,
               user_personal_data.c.modified_at)
        .select_from(users.outerjoin(user_personal_data, user_personal_data.c.user_id == users.c.id))
        .where(users.c.id == user.user_id)
    )
    async with request.app.state.db.connect() as conn:
        row = (await conn.execute(query)).mappings().first()
    if row is None:
        raise ApiError(401, "Invalid Session")
    return {key: (value.isoformat() if hasattr(value, "isoformat") else value)
            for key, value in row.items() if value is not None}
