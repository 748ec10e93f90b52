"""`PUT /me/password`: set or change the password (docs/api.md).

Changing an existing password needs the current one (`current_password` in the JSON body); a first
password needs a recent sign-in (`muistot_users.step_up`). The new
password may come in the body or, as in the contract, in the `password` query parameter. The caller's
session stays signed in; every other session of the account ends.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Response
from fastapi.exceptions import RequestValidationError

from muistot.deps import DatabaseDep, MaybeCaller, SettingsDep, signed_in
from muistot.errors import ApiError
from muistot.openapi import errors
from muistot.passwords import hash_password, policy_error, usable_password
from muistot.ratelimit import ClientLimitsDep
from muistot.validation import PlainText
from muistot.write import WriteDep
from muistot_users.models import PasswordChange
from muistot_users.queries.profile import load_account, replace_password
from muistot_users.step_up import check_current_password, require_recent_sign_in

router = APIRouter(prefix="/me", tags=["me"])


def _invalid(source: str, message: str) -> RequestValidationError:
    return RequestValidationError([{"loc": (source, "password"), "msg": message, "type": "value_error"}])


def new_password(query_value: str | None, body: PasswordChange | None, min_length: int) -> str:
    body_value = body.password if body is not None else None
    if query_value is not None and body_value is not None:
        raise _invalid("query", "Give the password either in the query or in the body, not both")
    if query_value is None and body_value is None:
        raise _invalid("body", "Field required")
    source, value = ("query", query_value) if query_value is not None else ("body", body_value)
    assert value is not None
    problem = policy_error(value, min_length)
    if problem:
        raise _invalid(source, problem)
    return value


@router.put("/password", status_code=200, response_class=Response, responses={
    200: {"description": "Password set; the other sessions of the account have ended"},
    **errors(401, (403, "Current password required", "Wrong password", "Recent sign-in required"),
             (409, "Password changed meanwhile"), 429),
})
async def set_password(caller: MaybeCaller, request_limits: ClientLimitsDep, db: DatabaseDep, settings: SettingsDep,
                       write: WriteDep, password: Annotated[PlainText | None, Query(max_length=1000)] = None,
                       body: PasswordChange | None = None) -> Response:
    value = new_password(password, body, settings.password_min_length)  # validation first: 422 before 401
    caller = signed_in(caller)
    async with db.connect() as conn:
        account = await load_account(conn, caller.user_id)
    if usable_password(account["password_hash"], account["password_confirmed"]):
        await check_current_password(request_limits, settings, caller, account["password_hash"],
                                     body.current_password if body is not None else None)
    else:  # a first password opens password sign-in: only right after a sign-in (docs/sign-in.md)
        require_recent_sign_in(settings, caller, has_password=False)
    hashed = await hash_password(value, settings.bcrypt_cost)
    async with write.unit(caller) as unit:
        if not await replace_password(unit.conn, caller.user_id, stored=account["password_hash"], new_hash=hashed):
            # changed by another request since the current password was checked
            raise ApiError(409, "Password changed meanwhile")
        # Ended before the commit: if Redis is down the password stays as it was (503).
        await unit.sessions.revoke_all(caller.user_id, except_id=caller.session_id)
    return Response(status_code=200)
