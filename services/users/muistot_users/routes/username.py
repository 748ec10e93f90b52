"""`POST /me/username?username=`: rename the account (docs/api.md)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request, Response
from sqlalchemy.exc import IntegrityError

from muistot.accounts import user_by_username
from muistot.deps import MaybeCaller, signed_in
from muistot.errors import ApiError
from muistot.openapi import TOKEN_HEADER, errors
from muistot.roles import is_superuser
from muistot.signin import start_after_commit
from muistot.validation import Username
from muistot.write import WriteDep
from muistot_users.queries.own_content import projects_showing
from muistot_users.queries.profile import load_account, rename

router = APIRouter(prefix="/me", tags=["me"])


@router.post("/username", status_code=200, response_class=Response, responses={
    200: {"description": "Renamed; the `Authorization` header carries the caller's new token",
          "headers": TOKEN_HEADER},
    304: {"description": "The name is already exactly this"},
    **errors(401, (409, "Username in use")),
})
async def change_username(request: Request, caller: MaybeCaller, write: WriteDep,
                          username: Annotated[Username, Query(max_length=200)]) -> Response:
    """Every live session of the user shows the new name at once; the caller gets a fresh token."""
    caller = signed_in(caller)
    try:
        async with write.unit(caller) as unit:
            account = await load_account(unit.conn, caller.user_id, for_update=True)
            if account["username"] == username:
                return Response(status_code=304)
            if await user_by_username(unit.conn, username, other_than=caller.user_id) is not None:
                raise ApiError(409, "Username in use")
            await rename(unit.conn, caller.user_id, username)
            # Anonymous reads of these projects show the author's name: the unit invalidates them.
            unit.touch(*await projects_showing(unit.conn, caller.user_id))
            # Sessions only display the name, so they change once the rename is committed.
            unit.after_commit(lambda: unit.sessions.update_user(caller.user_id, username=username))
            session = start_after_commit(unit, request, user_id=caller.user_id, username=username,
                                         superuser=await is_superuser(unit.conn, caller.user_id), replaces=caller)
    except IntegrityError:  # someone took the name between the check and the update
        raise ApiError(409, "Username in use") from None
    return session.response()
