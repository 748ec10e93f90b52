"""Signing an account in once the sign-in's unit commits (`muistot.signin`)."""

from __future__ import annotations

from fastapi import Request

from muistot.accounts import user_by_id
from muistot.errors import ApiError
from muistot.roles import is_superuser
from muistot.signin import NewSession, start_after_commit
from muistot.write import Unit


async def sign_in(unit: Unit, request: Request, user_id: int) -> NewSession:
    """The username (as stored) and superuser flag are read in the unit; the session starts after its commit."""
    row = await user_by_id(unit.conn, user_id)
    if row is None:
        raise ApiError(404, "Not found")
    return start_after_commit(unit, request, user_id=user_id, username=str(row["username"]),
                              superuser=await is_superuser(unit.conn, user_id))
