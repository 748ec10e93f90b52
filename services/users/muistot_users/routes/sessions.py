"""Sessions of the signed-in person: sign out here or everywhere, list them, end one (docs/sign-in.md)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path, Request, Response

from muistot.auth import CurrentUser, MaybeUser, signed_in
from muistot.errors import ApiError
from muistot.openapi import errors
from muistot.pagination import PageParams, paged_list
from muistot.sessions import SessionInfo, SessionStore
from muistot.times import from_timestamp
from muistot.validation import PlainText
from muistot_users.models import Sessions

router = APIRouter(prefix="/me", tags=["sessions"])


def _store(request: Request) -> SessionStore:
    return request.app.state.sessions


@router.delete("", status_code=204)
async def sign_out(request: Request, user: CurrentUser) -> Response:
    """End the session that made this request."""
    await _store(request).revoke_id(user.user_id, user.session_id)
    return Response(status_code=204)


@router.delete("/sessions", status_code=204)
async def sign_out_everywhere(request: Request, user: CurrentUser) -> Response:
    """End every session of this user, this one included."""
    await _store(request).revoke_all(user.user_id)
    return Response(status_code=204)


@router.get("/sessions", response_model=None, responses={200: {"model": Sessions}, **errors(401)})
async def list_sessions(request: Request, maybe_user: MaybeUser, page: PageParams) -> dict[str, Any]:
    """The user's live sessions, oldest first; `current` marks the one making this request."""
    user = signed_in(maybe_user)
    sessions = await _store(request).list(user.user_id)

    def item(info: SessionInfo) -> dict[str, Any]:
        return {"id": info.id, "created": from_timestamp(info.created), "last_seen": from_timestamp(info.last_seen),
                "expires": from_timestamp(info.expires), "client": info.client, "current": info.id == user.session_id}

    return paged_list(sessions, page, key=lambda info: (info.created, info.id), item=item)


@router.delete("/sessions/{session_id}", status_code=204, responses=errors(401, (404, "Session not found")))
async def end_session(request: Request, maybe_user: MaybeUser,
                      session_id: Annotated[PlainText, Path(min_length=1, max_length=64)]) -> Response:
    """End one of the user's sessions; another user's session id is unknown here (404)."""
    user = signed_in(maybe_user)
    if not await _store(request).revoke_id(user.user_id, session_id):
        raise ApiError(404, "Session not found")
    return Response(status_code=204)
