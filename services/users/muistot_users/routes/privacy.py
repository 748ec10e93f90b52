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

from muistot.auth import CurrentUser, MaybeUser, signed_in
from muistot.content import generations
from muistot.content.language import requested_write_language
from muistot.errors import ApiError
from muistot.mail import enqueue
from muistot.openapi import MAIL_LANGUAGE, errors
from muistot.passwords import usable_password
from muistot.text import fold
from muistot.validation import PlainText
from muistot_users import limits, mails
from muistot_users.models import AccountDeletion, Export
from muistot_users.queries import one_time_secrets
from muistot_users.queries.account_deletion import affected_projects, delete_account
from muistot_users.queries.export import build_export
from muistot_users.queries.profile import load_account
from muistot_users.step_up import check_current_password, require_recent_sign_in

router = APIRouter(prefix="/me", tags=["privacy"])
log = logging.getLogger("muistot.users")

CODE_LIFETIME_MINUTES = 30


@router.get("/export", responses={200: {"model": Export, "description": "Served as the attachment "
                                          "`muistot-export.json`"}})
async def export_my_data(request: Request, user: CurrentUser) -> Response:
    """Profile, personal data, sessions, roles, sites, memories, comments, reports, images and pending requests."""
    sessions = await request.app.state.sessions.list(user.user_id)
    async with request.app.state.db.connect() as conn:
        document = await build_export(conn, user.user_id, sessions, user.session_id)
    return JSONResponse(jsonable_encoder(document),
                        headers={"Content-Disposition": 'attachment; filename="muistot-export.json"'})


@router.post("/account/delete-request", status_code=204, responses={
    204: {"description": "A deletion code was mailed to the account's address"},
    **errors((409, "No e-mail address"), 429),
}, openapi_extra=MAIL_LANGUAGE)
async def request_account_deletion(request: Request, user: CurrentUser) -> Response:
    state = request.app.state
    async with state.db.connect() as conn:
        account = await load_account(conn, user.user_id)
    if not account["email"]:
        raise ApiError(409, "No e-mail address")
    await limits.limiter(request).hit((limits.MAIL_PER_USER, str(user.user_id)),
                                      (limits.MAIL_PER_IP, limits.ip_of(request)),
                                      (limits.MAIL_PER_ADDRESS, fold(account["email"])))
    code = one_time_secrets.new_numeric_code()
    link = f"{state.settings.public_url}#account-delete:token={code}"
    async with state.db.transaction() as conn:
        await one_time_secrets.issue(conn, user.user_id, one_time_secrets.ACCOUNT_DELETE, code,
                                     lifetime=dt.timedelta(minutes=CODE_LIFETIME_MINUTES))
        await enqueue(state.redis, mails.account_deletion_code(
            account["email"], account["username"], code, link, CODE_LIFETIME_MINUTES,
            requested_write_language(request, state.settings)), state.settings)
    return Response(status_code=204)


@router.delete("/account", status_code=204, responses={
    204: {"description": "The account is deleted and every session of it has ended"},
    **errors(401, (403, "Confirmation required", "Wrong password", "Invalid code", "Recent sign-in required"), 429),
})
async def delete_my_account(request: Request, maybe_user: MaybeUser,
                            token: Annotated[PlainText | None, Query(min_length=6, max_length=200)] = None,
                            body: AccountDeletion | None = None) -> Response:
    """Delete the account; memories and comments stay, anonymised (see `account_deletion`)."""
    user = signed_in(maybe_user)
    state = request.app.state
    password = body.password if body is not None else None
    async with state.db.connect() as conn:
        account = await load_account(conn, user.user_id)
    has_password = usable_password(account["password_hash"], account["password_confirmed"])
    # An account that signs in only with a provider has neither a password nor an address for a code:
    # a fresh sign-in with the provider confirms instead.
    by_recent_sign_in = password is None and token is None and not has_password and not account["email"]
    if by_recent_sign_in:
        require_recent_sign_in(request, user, has_password=False)
    elif password is None and token is None:
        raise ApiError(403, "Confirmation required", ["password" if has_password else "token"])
    elif password is not None:
        if not has_password:
            raise ApiError(403, "Wrong password")
        await check_current_password(request, user, account["password_hash"], password)
    else:
        await limits.limiter(request).hit((limits.CODE_ATTEMPTS_PER_USER, str(user.user_id)))

    deleted = False
    async with state.db.transaction() as conn:
        await load_account(conn, user.user_id, for_update=True)
        if password is not None or by_recent_sign_in or await one_time_secrets.redeem(
                conn, user.user_id, one_time_secrets.ACCOUNT_DELETE, str(token)) is not None:
            projects = await affected_projects(conn, user.user_id)
            await delete_account(conn, user.user_id)
            # Sessions end before the commit: if Redis is down nothing is deleted (503) rather than
            # leaving live sessions of a deleted account.
            await state.sessions.revoke_all(user.user_id)
            deleted = True
    if not deleted:  # the miss is committed (counted) above
        raise ApiError(403, "Invalid code")
    try:  # a sign-in that raced the deletion
        await state.sessions.revoke_all(user.user_id)
    except Exception as exc:  # the account row is gone, so such a session is refused anyway
        log.warning("second session sweep after account deletion failed: %s", exc)
    await generations.bump(state.redis, *sorted(projects))
    return Response(status_code=204)
