"""Answering with a new session: the `Authorization: bearer <token>` answer of every sign-in, and of the
`/me` changes that replace the caller's token (docs/api.md, docs/sign-in.md).

The session is created only after the write unit commits (`muistot.write`, docs/write-path.md): a sign-in
or rename whose rows are rolled back signs nobody in and leaves the caller's token as it was.
"""

from __future__ import annotations

from fastapi import Request
from fastapi.responses import Response

from muistot.identity import Principal
from muistot.write import Unit

CLIENT_MAX = 200


def client_of(request: Request) -> str:
    """What the session list shows as the device: the User-Agent."""
    return request.headers.get("user-agent", "")[:CLIENT_MAX]


class NewSession:
    """A session that starts once its unit has committed; `response()` hands its token to the client."""

    def __init__(self) -> None:
        self.token: str | None = None

    def response(self) -> Response:
        """200, empty body, `Authorization: bearer <token>` (the scheme in lower case, as the contract has it)."""
        if self.token is None:
            raise RuntimeError("the session starts only after its unit has committed")
        return Response(status_code=200, headers={"Authorization": f"bearer {self.token}"})


def start_after_commit(unit: Unit, request: Request, *, user_id: int, username: str, superuser: bool,
                       replaces: Principal | None = None) -> NewSession:
    """A new session for the account once `unit` commits. With `replaces`, the caller's session it replaces
    ends then and the new one keeps its sign-in time: a rename is no fresh sign-in."""
    session = NewSession()
    client = client_of(request)

    async def start() -> None:
        signed_in = replaces.signed_in if replaces is not None else None
        session.token, _ = await unit.sessions.create(user_id, username, superuser, client=client,
                                                      signed_in=signed_in)
        if replaces is not None:
            await unit.sessions.revoke_id(replaces.user_id, replaces.session_id)

    unit.after_commit(start)
    return session
