"""Issuing a fresh session to the caller after an account change (the contract's `Authorization` answer)."""

from __future__ import annotations

from fastapi import Request, Response

from muistot.identity import Principal
from muistot.sessions import SessionStore


def client_of(request: Request) -> str:
    """What the session list shows as the device: the User-Agent, as the login service records it."""
    return request.headers.get("user-agent", "")


async def replace_session(request: Request, user: Principal, *, username: str, superuser: bool) -> str:
    """A new token for the caller; the session it replaces ends, so the old token stops working. The new
    session carries on the old one's sign-in time: a rename is no fresh sign-in (`muistot_users.step_up`)."""
    store: SessionStore = request.app.state.sessions
    token, _ = await store.create(user.user_id, username, superuser, client=client_of(request),
                                  signed_in=user.signed_in)
    await store.revoke_id(user.user_id, user.session_id)
    return token


def login_response(token: str) -> Response:
    """200, empty body, `Authorization: bearer <token>` (docs/api.md: the scheme in lower case)."""
    return Response(status_code=200, headers={"Authorization": f"bearer {token}"})
