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
from muistot.content.language import requested_write_language
from muistot.deps import DatabaseDep, MaybeCaller, SettingsDep, signed_in
from muistot.errors import ApiError
from muistot.openapi import MAIL_LANGUAGE, TOKEN_HEADER, errors
from muistot.ratelimit import ClientLimitsDep
from muistot.roles import is_superuser
from muistot.signin import start_after_commit
from muistot.text import fold
from muistot.validation import EmailAddress, PlainText
from muistot.write import WriteDep
from muistot_users import limits, mails
from muistot_users.models import EmailChange
from muistot_users.queries import one_time_secrets
from muistot_users.queries.profile import change_email, load_account
from muistot_users.step_up import require_step_up

router = APIRouter(prefix="/me", tags=["me"])

LINK_LIFETIME_HOURS = 24


@router.post("/email", status_code=200, response_class=Response, responses={
    200: {"description": "A confirmation link was mailed to the new address; the `Authorization` header carries "
                         "the caller's new token (the one presented ends)", "headers": TOKEN_HEADER},
    304: {"description": "This is already the account's address"},
    **errors(401, (403, "Recent sign-in required", "Current password required", "Wrong password"), 429),
}, openapi_extra=MAIL_LANGUAGE)
async def request_email_change(request: Request, caller: MaybeCaller, request_limits: ClientLimitsDep, db: DatabaseDep,
                               settings: SettingsDep, write: WriteDep,
                               email: Annotated[EmailAddress, Query(max_length=320)],
                               body: EmailChange | None = None) -> Response:
    """Mail a confirmation link to `email` and a notice to the current address; nothing changes yet.

    Needs a recent sign-in, or the current password in the body: a stolen session alone cannot
    move the account to another mailbox."""
    caller = signed_in(caller)
    async with db.connect() as conn:
        account = await load_account(conn, caller.user_id)
        if account["email"] is not None and account["email_key"] == fold(email):
            return Response(status_code=304)
    await require_step_up(request_limits, settings, caller, account,
                          body.current_password if body is not None else None)
    await request_limits.limiter.hit((limits.MAIL_PER_USER, str(caller.user_id)),
                                     (limits.MAIL_PER_IP, request_limits.ip),
                                     (limits.MAIL_PER_ADDRESS, fold(email)))
    lang = requested_write_language(request, settings)
    async with write.unit(caller) as unit:
        owner = await user_by_email(unit.conn, email)
        # Stored whoever owns the address, so the answer takes the same work and `/me/export` shows the same
        # pending request either way (no enumeration); a link for someone else's address is never mailed.
        token = one_time_secrets.new_link_token()
        await one_time_secrets.issue(unit.conn, caller.user_id, one_time_secrets.EMAIL_CHANGE, token,
                                     lifetime=dt.timedelta(hours=LINK_LIFETIME_HOURS), payload=email)
        if owner is None:
            link = f"{settings.public_url}#email-change:token={token}"
            unit.mail(mails.email_change_link(email, account["username"], link, LINK_LIFETIME_HOURS, lang))
        else:  # the address's owner did not ask for this: their own language, not the requester's
            unit.mail(mails.email_in_use_notice(email, owner["lang"] or settings.default_language))
        if account["email"]:
            unit.mail(mails.email_change_notice(account["email"], account["username"], email, lang))
        session = start_after_commit(unit, request, user_id=caller.user_id, username=account["username"],
                                     superuser=await is_superuser(unit.conn, caller.user_id), replaces=caller)
    return session.response()


@router.post("/email/confirm", status_code=204, responses={
    204: {"description": "The address is changed; every other session of the account has ended"},
    **errors(401, (404, "Not Found"), (409, "Email in use"), 429),
})
async def confirm_email_change(caller: MaybeCaller, request_limits: ClientLimitsDep, write: WriteDep,
                               token: Annotated[PlainText, Query(min_length=1, max_length=200)]) -> Response:
    """Apply the change that the token was mailed for. Single use; a few wrong tries end the link."""
    caller = signed_in(caller)
    await request_limits.limiter.hit((limits.CODE_ATTEMPTS_PER_USER, str(caller.user_id)))
    conflict = False
    found = None
    try:
        async with write.unit(caller) as unit:
            await load_account(unit.conn, caller.user_id, for_update=True)
            found = await one_time_secrets.redeem(unit.conn, caller.user_id, one_time_secrets.EMAIL_CHANGE, token)
            if found is not None:
                email = str(found["payload"])
                if await user_by_email(unit.conn, email, other_than=caller.user_id) is not None:
                    conflict = True  # the link is used up either way
                else:
                    await change_email(unit.conn, caller.user_id, email)
                    # The sign-in address changed: other devices sign in again (rolled back if Redis is down).
                    await unit.sessions.revoke_all(caller.user_id, except_id=caller.session_id)
    except IntegrityError:
        raise ApiError(409, "Email in use") from None
    if found is None:
        raise ApiError(404, "Not Found", ["token"])
    if conflict:
        raise ApiError(409, "Email in use")
    return Response(status_code=204)
