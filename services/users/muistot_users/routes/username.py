"""`POST /me/username?username=`: rename the account (docs/api.md)."""

from __future__ import annotations

import logging
from typing import Annotated

from fastapi import APIRouter, Query, Request, Response
from sqlalchemy.exc import IntegrityError

from muistot.accounts import user_by_username
from muistot.auth import MaybeUser, signed_in
from muistot.errors import ApiError
from muistot.openapi import TOKEN_HEADER, errors
from muistot.roles import is_superuser
from muistot.validation import Username
from muistot_users.queries.profile import load_account, rename
from muistot_users.session_tokens import login_response, replace_session

router = APIRouter(prefix="/me", tags=["me"])
log = logging.getLogger("muistot.users")


@router.post("/username", status_code=200, response_class=Response, responses={
    200: {"description": "Renamed; the `Authorization` header carries the caller's new token",
          "headers": TOKEN_HEADER},
    304: {"description": "The name is already exactly this"},
    **errors(401, (409, "Username in use")),
})
async def change_username(request: Request, maybe_user: MaybeUser,
                          username: Annotated[Username, Query(max_length=200)]) -> Response:
    """Every live session of the user shows the new name at once; the caller gets a fresh token."""
    user = signed_in(maybe_user)
    store = request.app.state.sessions
    rewritten = False
    try:
        async with request.app.state.db.transaction() as conn:
            account = await load_account(conn, user.user_id, for_update=True)
            if account["username"] == username:
                return Response(status_code=304)
            if await user_by_username(conn, username, other_than=user.user_id) is not None:
                raise ApiError(409, "Username in use")
            await rename(conn, user.user_id, username)
            superuser = await is_superuser(conn, user.user_id)
            # Rewrite the sessions before the commit: if Redis is down the rename is rolled back (503).
            await store.update_user(user.user_id, username=username)
            rewritten = True
    except IntegrityError:  # someone took the name between the check and the update
        raise ApiError(409, "Username in use") from None
    except Exception:
        if rewritten:  # the commit failed after the sessions were rewritten: put the old name back
            try:
                await store.update_user(user.user_id, username=account["username"])
            except Exception as exc:  # best effort; the sessions only display the name
                log.warning("could not restore session names after a failed rename: %s", exc)
        raise
    token = await replace_session(request, user, username=username, superuser=superuser)
    return login_response(token)
