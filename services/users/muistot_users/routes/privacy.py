"""Privacy: `GET /me/export` and account deletion (`POST /me/account/delete-request`, `DELETE /me/account`).

Deletion needs a fresh confirmation besides the session: the current password in the JSON body
(`{"password": "…"}`) for an account that has one, or the code mailed by `delete-request`
(`?token=<code>`; the mail also carries a `#account-delete:token=<code>` link). The code has 8
digits, lives 30 minutes, and dies after a few wrong tries. An account with neither a password nor
an address (it signs in only with a provider) confirms with a sign-in at most MUISTOT_REAUTH_SECONDS old.
"""

from __future__ import annotations

import datetime as dt
import logging
from typing import Annotated

from fastapi import APIRouter, Query, Request, Response
from fastapi.encoders import jsonable_encoder
from fastapi.responses import JSONResponse

from muistot.content.language import requested_write_language
from muistot.deps import Caller, DatabaseDep, MaybeCaller, SessionsDep, SettingsDep, signed_in
from muistot.errors import ApiError
from muistot.openapi import MAIL_LANGUAGE, errors
from muistot.passwords import usable_password
from muistot.ratelimit import ClientLimitsDep
from muistot.sessions import SessionStore
from muistot.text import fold
from muistot.validation import PlainText
from muistot.write import WriteDep
from muistot_users import limits, mails
from muistot_users.models import AccountDeletion, Export
from muistot_users.queries import one_time_secrets
from muistot_users.queries.account_deletion import delete_account
from muistot_users.queries.export import build_export
from muistot_users.queries.own_content import projects_showing
from muistot_users.queries.profile import load_account
from muistot_users.step_up import check_current_password, require_recent_sign_in

router = APIRouter(prefix="/me", tags=["privacy"])
log = logging.getLogger("muistot.users")

CODE_LIFETIME_MINUTES = 30


@router.get("/export", responses={200: {"model": Export, "description": "Served as the attachment "
                                          "`muistot-export.json`"}})
async def export_my_data(caller: Caller, db: DatabaseDep, sessions: SessionsDep) -> Response:
    """Profile, personal data, sessions, roles, sites, memories, comments, reports, images and pending requests."""
    live = await sessions.list(caller.user_id)
    async with db.connect() as conn:
        document = await build_export(conn, caller.user_id, live, caller.session_id)
    return JSONResponse(jsonable_encoder(document),
                        headers={"Content-Disposition": 'attachment; filename="muistot-export.json"'})


@router.post("/account/delete-request", status_code=204, responses={
    204: {"description": "A deletion code was mailed to the account's address"},
    **errors((409, "No e-mail address"), 429),
}, openapi_extra=MAIL_LANGUAGE)
async def request_account_deletion(request: Request, caller: Caller, request_limits: ClientLimitsDep, db: DatabaseDep,
                                   settings: SettingsDep, write: WriteDep) -> Response:
    async with db.connect() as conn:
        account = await load_account(conn, caller.user_id)
    if not account["email"]:
        raise ApiError(409, "No e-mail address")
    await request_limits.limiter.hit((limits.MAIL_PER_USER, str(caller.user_id)),
                                     (limits.MAIL_PER_IP, request_limits.ip),
                                     (limits.MAIL_PER_ADDRESS, fold(account["email"])))
    code = one_time_secrets.new_numeric_code()
    link = f"{settings.public_url}#account-delete:token={code}"
    async with write.unit(caller) as unit:
        await one_time_secrets.issue(unit.conn, caller.user_id, one_time_secrets.ACCOUNT_DELETE, code,
                                     lifetime=dt.timedelta(minutes=CODE_LIFETIME_MINUTES))
        unit.mail(mails.account_deletion_code(account["email"], account["username"], code, link,
                                              CODE_LIFETIME_MINUTES, requested_write_language(request, settings)))
    return Response(status_code=204)


@router.delete("/account", status_code=204, responses={
    204: {"description": "The account is deleted and every session of it has ended"},
    **errors(401, (403, "Confirmation required", "Wrong password", "Invalid code", "Recent sign-in required"), 429),
})
async def delete_my_account(caller: MaybeCaller, request_limits: ClientLimitsDep, db: DatabaseDep,
                            settings: SettingsDep, write: WriteDep,
                            token: Annotated[PlainText | None, Query(min_length=6, max_length=200)] = None,
                            body: AccountDeletion | None = None) -> Response:
    """Delete the account; the memories and comments it wrote stay, without an author."""
    caller = signed_in(caller)
    password = body.password if body is not None else None
    async with db.connect() as conn:
        account = await load_account(conn, caller.user_id)
    has_password = usable_password(account["password_hash"], account["password_confirmed"])
    # An account that signs in only with a provider has neither a password nor an address for a code:
    # a fresh sign-in with the provider confirms instead.
    by_recent_sign_in = password is None and token is None and not has_password and not account["email"]
    if by_recent_sign_in:
        require_recent_sign_in(settings, caller, has_password=False)
    elif password is None and token is None:
        raise ApiError(403, "Confirmation required", ["password" if has_password else "token"])
    elif password is not None:
        if not has_password:
            raise ApiError(403, "Wrong password")
        await check_current_password(request_limits, settings, caller, account["password_hash"], password)
    else:
        await request_limits.limiter.hit((limits.CODE_ATTEMPTS_PER_USER, str(caller.user_id)))

    deleted = False
    async with write.unit(caller) as unit:
        await load_account(unit.conn, caller.user_id, for_update=True)
        if password is not None or by_recent_sign_in or await one_time_secrets.redeem(
                unit.conn, caller.user_id, one_time_secrets.ACCOUNT_DELETE, str(token)) is not None:
            # Their public reads show the person's name: the unit invalidates them.
            unit.touch(*await projects_showing(unit.conn, caller.user_id))
            await delete_account(unit.conn, caller.user_id)
            # Sessions end before the commit: if Redis is down nothing is deleted (503) rather than
            # leaving live sessions of a deleted account.
            await unit.sessions.revoke_all(caller.user_id)
            unit.after_commit(lambda: _sweep_sessions(unit.sessions, caller.user_id))
            deleted = True
    if not deleted:  # the miss is committed (counted) above
        raise ApiError(403, "Invalid code")
    return Response(status_code=204)


async def _sweep_sessions(sessions: SessionStore, user_id: int) -> None:
    """Once more after the commit, for a sign-in that raced the deletion; best effort."""
    try:
        await sessions.revoke_all(user_id)
    except Exception as exc:  # the account row is gone, so such a session is refused anyway
        log.warning("second session sweep after account deletion failed: %s", exc)
