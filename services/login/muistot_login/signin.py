"""Starting a session after a successful login: the `Authorization: bearer <token>` answer (docs/api.md)."""

from __future__ import annotations

from fastapi import Request
from fastapi.responses import Response
from sqlalchemy.ext.asyncio import AsyncConnection

from muistot.accounts import user_by_id
from muistot.errors import ApiError
from muistot.roles import is_superuser

CLIENT_MAX = 200


async def session_response(request: Request, conn: AsyncConnection, user_id: int) -> Response:
    """A new session for the user; username (as stored) and superuser flag are read from the DB now."""
    row = await user_by_id(conn, user_id)
    if row is None:
        raise ApiError(404, "Not found")
    superuser = await is_superuser(conn, user_id)
    client = request.headers.get("user-agent", "")[:CLIENT_MAX]
    token, _ = await request.app.state.sessions.create(user_id, str(row["username"]), superuser, client=client)
    return Response(status_code=200, headers={"Authorization": f"bearer {token}"})
