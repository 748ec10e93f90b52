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
from muistot.content.language import requested_write_language
from muistot.deps import DatabaseDep, MaybeCaller, RedisDep, SettingsDep
from muistot.errors import ApiError
from muistot.mail.templates import login_mail
from muistot.openapi import MAIL_LANGUAGE, errors, signed_in_response
from muistot.validation import EmailAddress, PlainText
from muistot.write import Unit, WriteDep
from muistot_login import accounts, links, usernames
from muistot_login.limits import LimitsDep
from muistot_login.queries.accounts import email_login_confirmed
from muistot_login.signin import sign_in

router = APIRouter(prefix="/auth", tags=["auth"])

NOT_FOUND = "Not found"


def refuse_signed_in(caller: object) -> None:
    if caller is not None:
        raise ApiError(403, "Already signed-in")


async def send_login_link(unit: Unit, request: Request, *, user_id: int | None, username: str, email: str,
                          verified: bool, kind: str = "login") -> None:
    """Issue a link for an account (or a pending signup when `user_id` is None); its mail goes after the commit."""
    if user_id is None:
        key = links.pending_key(unit.redis, username)
        token, expires = await links.issue(unit.redis, key, user_id=None, username=username, email=email,
                                           reserve_for=email)
    else:
        key = links.account_key(unit.redis, user_id)
        token, expires = await links.issue(unit.redis, key, user_id=user_id, username=username, email=email)
    lang = requested_write_language(request, unit.settings)
    unit.mail(login_mail(to=email, user=username, token=token, verified=verified, lang=lang,
                         public_url=unit.settings.public_url, expires_at=expires, kind=kind))


@router.post("/email", status_code=204, response_class=Response, openapi_extra=MAIL_LANGUAGE,
             responses={204: {"description": "A link was mailed (whether or not the address has an account)"},
                        **errors((403, "Already signed-in"), 429)})
async def request_login_link(request: Request, caller: MaybeCaller, limits: LimitsDep, db: DatabaseDep,
                             redis: RedisDep, settings: SettingsDep, write: WriteDep,
                             email: Annotated[EmailAddress, Query(description="where to send the link")]) -> Response:
    """Mail a login link to `email`. 204 whether or not the address has an account."""
    refuse_signed_in(caller)
    await limits.limiter.hit(*limits.mail_requests(email))
    async with db.connect() as conn:
        row = await user_by_email(conn, email)
    # A name is looked up and picked for known addresses too (asking MUISTOT_NAMEGEN_URL, if set), so a
    # known address is not answered measurably faster than a new one (enumeration by timing).
    reserved = await links.reserved_name(redis, email)
    fresh = await usernames.unique_username(db, redis, settings)
    async with write.unit(None) as unit:
        if row is not None:
            await send_login_link(unit, request, user_id=int(row["id"]), username=str(row["username"]),
                                  email=str(row["email"]), verified=bool(row["verified"]))
        else:
            await send_login_link(unit, request, user_id=None, username=reserved or fresh, email=email,
                                  verified=False)
    return Response(status_code=204)


@router.post("/email/exchange", status_code=200, response_class=Response,
             responses={**signed_in_response(), **errors((403, "Already signed-in"), (404, NOT_FOUND), 429)})
async def exchange_login_link(request: Request, caller: MaybeCaller, limits: LimitsDep, redis: RedisDep,
                              write: WriteDep, user: Annotated[PlainText, Query(max_length=255)],
                              token: Annotated[PlainText, Query(max_length=512)]) -> Response:
    """Trade a mailed link for a session: 200 with the token in the `Authorization` header.

    Wrong tokens count against the client that sent them (per link and per IP), never against the
    link: usernames are public, so anyone could otherwise burn another person's link.
    """
    refuse_signed_in(caller)
    async with limits.limiter.attempt(limits.failed_attempts()) as attempt:
        # The original decoded `user` once more; `%` is not a username character, so this only helps.
        name = unquote(user)
        async with write.unit(None) as unit:
            row = await user_by_username(unit.conn, name)
            key = links.account_key(redis, int(row["id"])) if row else links.pending_key(redis, name)
            link = await links.load(redis, key)
            if link is None:
                raise attempt.failure(ApiError(404, NOT_FOUND))
            await attempt.count(limits.wrong_guesses(key))
            if not link.matches(token):
                raise attempt.failure(ApiError(404, NOT_FOUND))
            user_id = await accounts.account_for_link(unit, write.db, link)
            await email_login_confirmed(unit.conn, user_id)
            if not await links.consume(redis, link):
                raise ApiError(404, NOT_FOUND)  # used (or replaced) meanwhile: roll everything back
            # A first sign-in's account row is committed before its session exists.
            session = await sign_in(unit, request, user_id)
    return session.response()
