"""E-mail link login: `POST /auth/email` and `POST /auth/email/exchange` (docs/sign-in.md).

Known and unknown addresses get the same 204 and a mail; an unknown one gets its account only
when its first link is exchanged (see `muistot_login.links`), so flooding creates no rows.
"""

from __future__ import annotations

from typing import Annotated
from urllib.parse import unquote

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response

from muistot.accounts import user_by_email, user_by_username
from muistot.auth import MaybeUser
from muistot.content.language import requested_write_language
from muistot.errors import ApiError
from muistot.mail import enqueue
from muistot.mail.templates import login_mail
from muistot.openapi import MAIL_LANGUAGE, errors, signed_in_response
from muistot.validation import EmailAddress, PlainText
from muistot_login import accounts, limits, links, usernames
from muistot_login.queries.accounts import email_login_confirmed
from muistot_login.signin import session_response

router = APIRouter(prefix="/auth", tags=["auth"])

NOT_FOUND = "Not found"


def refuse_signed_in(user: object) -> None:
    if user is not None:
        raise ApiError(403, "Already signed-in")


async def send_login_link(request: Request, *, user_id: int | None, username: str, email: str, verified: bool,
                          kind: str = "login") -> None:
    """Issue a link for an account (or a pending signup when `user_id` is None) and queue its mail."""
    state = request.app.state
    if user_id is None:
        key = links.pending_key(state.redis, username)
        token, expires = await links.issue(state.redis, key, user_id=None, username=username, email=email,
                                           reserve_for=email)
    else:
        key = links.account_key(state.redis, user_id)
        token, expires = await links.issue(state.redis, key, user_id=user_id, username=username, email=email)
    lang = requested_write_language(request, state.settings)
    await enqueue(state.redis, login_mail(to=email, user=username, token=token, verified=verified, lang=lang,
                                          public_url=state.settings.public_url, expires_at=expires, kind=kind),
                  state.settings)


@router.post("/email", status_code=204, response_class=Response, openapi_extra=MAIL_LANGUAGE,
             responses={204: {"description": "A link was mailed (whether or not the address has an account)"},
                        **errors((403, "Already signed-in"), 429)})
async def request_login_link(request: Request, user: MaybeUser,
                       email: Annotated[EmailAddress, Query(description="where to send the link")]) -> Response:
    """Mail a login link to `email`. 204 whether or not the address has an account."""
    refuse_signed_in(user)
    state = request.app.state
    await limits.limiter(request).hit(*limits.mail_requests(request, email))
    async with state.db.connect() as conn:
        row = await user_by_email(conn, email)
    # A name is looked up and picked for known addresses too (asking MUISTOT_NAMEGEN_URL, if set), so a known
    # address is not answered measurably faster than a new one (enumeration by timing).
    reserved = await links.reserved_name(state.redis, email)
    fresh = await usernames.unique_username(request)
    if row is not None:
        await send_login_link(request, user_id=int(row["id"]), username=str(row["username"]),
                              email=str(row["email"]), verified=bool(row["verified"]))
    else:
        await send_login_link(request, user_id=None, username=reserved or fresh, email=email, verified=False)
    return Response(status_code=204)


@router.post("/email/exchange", status_code=200, response_class=Response,
             responses={**signed_in_response(), **errors((403, "Already signed-in"), (404, NOT_FOUND), 429)})
async def exchange_login_link(request: Request, user_: MaybeUser,
                   user: Annotated[PlainText, Query(max_length=255)],
                   token: Annotated[PlainText, Query(max_length=512)]) -> Response:
    """Trade a mailed link for a session: 200 with the token in the `Authorization` header.

    Wrong tokens count against the client that sent them (per link and per IP), never against the
    link: usernames are public, so anyone could otherwise burn another person's link.
    """
    refuse_signed_in(user_)
    state = request.app.state
    async with limits.limiter(request).attempt(limits.failed_attempts(request)) as attempt:
        # The original decoded `user` once more; `%` is not a username character, so this only helps.
        name = unquote(user)
        async with state.db.connect() as conn:
            row = await user_by_username(conn, name)
        key = links.account_key(state.redis, int(row["id"])) if row else links.pending_key(state.redis, name)
        link = await links.load(state.redis, key)
        if link is None:
            raise attempt.failure(ApiError(404, NOT_FOUND))
        await attempt.count(limits.wrong_guesses(request, key))
        if not link.matches(token):
            raise attempt.failure(ApiError(404, NOT_FOUND))
        async with state.db.transaction() as conn:
            user_id = await accounts.account_for_link(request, conn, link)
            await email_login_confirmed(conn, user_id)
            if not await links.consume(state.redis, link):
                raise ApiError(404, NOT_FOUND)  # used (or replaced) meanwhile: roll everything back
            return await session_response(request, conn, user_id)

