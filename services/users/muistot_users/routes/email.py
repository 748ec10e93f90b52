"""`POST /me/email?email=` and `POST /me/email/confirm?token=`: change the address only with proof of it.

The original changed the address at once (CHANGELOG.md). Now a request mails a
confirmation link to the new address and a notice to the old one; the address changes when the link's
token comes back through `/me/email/confirm`, from a session of the same account.

Enumeration: the request answers the same whether or not the new address belongs to another
account; in that case the address's owner is told instead of getting a link. "Email in use" (409)
comes from the confirm step, which only the owner of the mailbox can reach.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from fastapi import APIRouter, Query, Request, Response
from sqlalchemy.exc import IntegrityError

from muistot.accounts import user_by_email
from muistot.auth import MaybeUser, signed_in
from muistot.content.language import requested_write_language
from muistot.errors import ApiError
from muistot.mail import enqueue
from muistot.openapi import MAIL_LANGUAGE, TOKEN_HEADER, errors
from muistot.roles import is_superuser
from muistot.text import fold
from muistot.validation import EmailAddress, PlainText
from muistot_users import limits, mails
from muistot_users.models import EmailChange
from muistot_users.queries import one_time_secrets
from muistot_users.queries.profile import change_email, load_account
from muistot_users.session_tokens import login_response, replace_session
from muistot_users.step_up import require_step_up

router = APIRouter(prefix="/me", tags=["me"])

LINK_LIFETIME_HOURS = 24


def _link(request: Request, token: str) -> str:
    return f"{request.app.state.settings.public_url}#email-change:token={token}"


@router.post("/email", status_code=200, response_class=Response, responses={
    200: {"description": "A confirmation link was mailed to the new address; the `Authorization` header carries "
                         "the caller's new token (the one presented ends)", "headers": TOKEN_HEADER},
    304: {"description": "This is already the account's address"},
    **errors(401, (403, "Recent sign-in required", "Current password required", "Wrong password"), 429),
}, openapi_extra=MAIL_LANGUAGE)
async def request_email_change(request: Request, maybe_user: MaybeUser,
                               email: Annotated[EmailAddress, Query(max_length=320)],
                               body: EmailChange | None = None) -> Response:
    """Mail a confirmation link to `email` and a notice to the current address; nothing changes yet.

    Needs a recent sign-in, or the current password in the body: a stolen session alone cannot
    move the account to another mailbox."""
    user = signed_in(maybe_user)
    state = request.app.state
    async with state.db.connect() as conn:
        account = await load_account(conn, user.user_id)
        if account["email"] is not None and account["email_key"] == fold(email):
            return Response(status_code=304)
        owner = await user_by_email(conn, email)
        superuser = await is_superuser(conn, user.user_id)
    await require_step_up(request, user, account, body.current_password if body is not None else None)
    await limits.limiter(request).hit((limits.MAIL_PER_USER, str(user.user_id)),
                                      (limits.MAIL_PER_IP, limits.ip_of(request)),
                                      (limits.MAIL_PER_ADDRESS, fold(email)))
    lang = requested_write_language(request, state.settings)
    async with state.db.transaction() as conn:
        # Stored whoever owns the address, so the answer takes the same work and `/me/export` shows the same
        # pending request either way (no enumeration); a link for someone else's address is never mailed, so it is dead.
        token = one_time_secrets.new_link_token()
        await one_time_secrets.issue(conn, user.user_id, one_time_secrets.EMAIL_CHANGE, token,
                                     lifetime=dt.timedelta(hours=LINK_LIFETIME_HOURS), payload=email)
        if owner is None:
            message = mails.email_change_link(email, account["username"], _link(request, token), LINK_LIFETIME_HOURS,
                                              lang)
        else:  # the address's owner did not ask for this: their own language, not the requester's
            message = mails.email_in_use_notice(email, owner["lang"] or state.settings.default_language)
        # Queued before the commit: if Redis is down, the request fails whole (503) and no link exists.
        await enqueue(state.redis, message, state.settings)
        if account["email"]:
            await enqueue(state.redis, mails.email_change_notice(account["email"], account["username"], email, lang),
                          state.settings)
    token = await replace_session(request, user, username=account["username"], superuser=superuser)
    return login_response(token)


@router.post("/email/confirm", status_code=204, responses={
    204: {"description": "The address is changed; every other session of the account has ended"},
    **errors(401, (404, "Not Found"), (409, "Email in use"), 429),
})
async def confirm_email_change(request: Request, maybe_user: MaybeUser,
                               token: Annotated[PlainText, Query(min_length=1, max_length=200)]) -> Response:
    """Apply the change that the token was mailed for. Single use; a few wrong tries end the link."""
    user = signed_in(maybe_user)
    state = request.app.state
    await limits.limiter(request).hit((limits.CODE_ATTEMPTS_PER_USER, str(user.user_id)))
    conflict = False
    found = None
    try:
        async with state.db.transaction() as conn:
            await load_account(conn, user.user_id, for_update=True)
            found = await one_time_secrets.redeem(conn, user.user_id, one_time_secrets.EMAIL_CHANGE, token)
            if found is not None:
                email = str(found["payload"])
                if await user_by_email(conn, email, other_than=user.user_id) is not None:
                    conflict = True  # the link is used up either way
                else:
                    await change_email(conn, user.user_id, email)
                    # The sign-in address changed: other devices sign in again (rolled back if Redis is down).
                    await state.sessions.revoke_all(user.user_id, except_id=user.session_id)
    except IntegrityError:
        raise ApiError(409, "Email in use") from None
    if found is None:
        raise ApiError(404, "Not Found", ["token"])
    if conflict:
        raise ApiError(409, "Email in use")
    return Response(status_code=204)
