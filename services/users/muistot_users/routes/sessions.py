"""Sessions of the signed-in person: sign out here or everywhere, list them, end one (docs/sign-in.md).

These change only the session store, never a row, so they take the store itself rather than a write unit:
signing out keeps working while the database is away.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path, Response

from muistot.deps import Caller, MaybeCaller, SessionsDep, signed_in
from muistot.errors import ApiError
from muistot.openapi import errors
from muistot.pagination import PageParams, paged_list
from muistot.sessions import SessionInfo
from muistot.times import from_timestamp
from muistot.validation import PlainText
from muistot_users.models import Sessions

router = APIRouter(prefix="/me", tags=["sessions"])


@router.delete("", status_code=204)
async def sign_out(caller: Caller, sessions: SessionsDep) -> Response:
    """End the session that made this request."""
    await sessions.revoke_id(caller.user_id, caller.session_id)
    return Response(status_code=204)


@router.delete("/sessions", status_code=204)
async def sign_out_everywhere(caller: Caller, sessions: SessionsDep) -> Response:
    """End every session of this user, this one included."""
    await sessions.revoke_all(caller.user_id)
    return Response(status_code=204)


@router.get("/sessions", response_model=None, responses={200: {"model": Sessions}, **errors(401)})
async def list_sessions(caller: MaybeCaller, sessions: SessionsDep, page: PageParams) -> dict[str, Any]:
    """The user's live sessions, oldest first; `current` marks the one making this request."""
    caller = signed_in(caller)
    current = caller.session_id

    def item(info: SessionInfo) -> dict[str, Any]:
        return {"id": info.id, "created": from_timestamp(info.created), "last_seen": from_timestamp(info.last_seen),
                "expires": from_timestamp(info.expires), "client": info.client, "current": info.id == current}

    return paged_list(await sessions.list(caller.user_id), page, key=lambda info: (info.created, info.id), item=item)


@router.delete("/sessions/{session_id}", status_code=204, responses=errors(401, (404, "Session not found")))
async def end_session(caller: MaybeCaller, sessions: SessionsDep,
                      session_id: Annotated[PlainText, Path(min_length=1, max_length=64)]) -> Response:
    """End one of the user's sessions; another user's session id is unknown here (404)."""
    caller = signed_in(caller)
    if not await sessions.revoke_id(caller.user_id, session_id):
        raise ApiError(404, "Session not found")
    return Response(status_code=204)
