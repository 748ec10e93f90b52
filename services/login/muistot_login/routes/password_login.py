"""Password login, registration and its confirmation (docs/sign-in.md).

- A password chosen at registration counts only once the registration code mailed to the address
  comes back (`users.password_confirmed`); an e-mail login on the account first wipes it (pre-hijack).
- Unknown and known accounts take the same time and get the same 400 (a dummy bcrypt check).
- Registering a taken address does not say so: the owner gets a mail with a login link instead,
  and the caller the usual 201. A taken username is a 409 (usernames are public anyway).
- Registration codes (6 digits) are accepted only by `/auth/confirm`, for 10 minutes, once. Wrong
  guesses count per client (MUISTOT_LOGIN_TOKEN_ATTEMPTS) and, as 6 digits can be guessed by many
  clients together, the code dies after MUISTOT_LOGIN_CODE_MAX_GUESSES wrong guesses from anyone.
- Failed attempts count per client IP, wrong passwords per account and client (`muistot_login.limits`);
  successes never count.
"""

from __future__ import annotations

import secrets
import time
from datetime import timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import Response
from sqlalchemy.exc import IntegrityError

from muistot.accounts import insert_user, user_by_email, user_by_username, username_taken
from muistot.auth import MaybeUser
from muistot.content.language import requested_write_language
from muistot.errors import ApiError
from muistot.mail import enqueue
from muistot.mail.templates import register_mail
from muistot.openapi import MAIL_LANGUAGE, errors, signed_in_response
from muistot.passwords import hash_password, policy_error, same_secret, verify_password
from muistot.text import fold
from muistot.validation import PlainText
from muistot_login import limits, links
from muistot_login.models import PasswordLogin, Registration
from muistot_login.queries import registration_codes
from muistot_login.queries.accounts import registration_confirmed
from muistot_login.routes.email_login import refuse_signed_in, send_login_link
from muistot_login.signin import session_response

router = APIRouter(prefix="/auth", tags=["auth"])

CODE_LIFETIME = timedelta(minutes=10)


@router.post("/password", status_code=200, response_class=Response,
             responses={**signed_in_response(),
                        **errors((400, "Bad Request"), (403, "Already signed-in", "Not verified"), 429)})
async def password_login(request: Request, user: MaybeUser, body: PasswordLogin) -> Response:
    refuse_signed_in(user)
    state = request.app.state
    limiter = limits.limiter(request)
    async with limiter.attempt(limits.failed_attempts(request)) as attempt:
        async with state.db.connect() as conn:
            if body.username is not None:
                row = await user_by_username(conn, body.username)
            else:
                row = await user_by_email(conn, str(body.email))
        # Failures count per account (or per identifier when there is none: both look the same) and client.
        account = f"user:{row['id']}" if row is not None else f"id:{fold(body.username or str(body.email))}"
        failures = limits.password_failures(request, account)
        await attempt.count(failures)
        stored = row["password_hash"] if row is not None else None
        if not await verify_password(body.password, stored, state.settings.bcrypt_cost):
            raise attempt.failure(ApiError(400, "Bad Request"))
        assert row is not None  # a match needs a stored hash
        await limiter.reset(failures)
        if not (row["verified"] and row["password_confirmed"]):
            raise ApiError(403, "Not verified")
        async with state.db.connect() as conn:
            return await session_response(request, conn, int(row["id"]))


@router.post("/register", status_code=201, response_class=Response, openapi_extra=MAIL_LANGUAGE,
             responses={201: {"description": "A confirmation code was mailed (or, for an address that has an "
                                             "account already, a login link)"},
                        **errors((403, "Already signed-in"), (409, "Username already in use"), 429)})
async def register(request: Request, user: MaybeUser, body: Registration) -> Response:
    state = request.app.state
    problem = policy_error(body.password, state.settings.password_min_length)
    if problem:  # validation: answered before "Already signed-in", like every other 422 (docs/api.md, Errors)
        raise RequestValidationError([{"loc": ("body", "password"), "msg": problem, "type": "value_error"}])
    refuse_signed_in(user)
    await limits.limiter(request).hit(*limits.mail_requests(request, body.email))
    if await _username_unavailable(request, body.username):
        raise ApiError(409, "Username already in use")
    # Hash before looking at the address, so a taken address answers as slowly as a free one.
    password_hash = await hash_password(body.password, state.settings.bcrypt_cost)
    try:
        await _register(request, body, password_hash)
    except IntegrityError:
        # Lost a race for the name or the address: answer as if we had seen it first.
        if await _username_unavailable(request, body.username):
            raise ApiError(409, "Username already in use") from None
        await _register(request, body, password_hash)
    return Response(status_code=201)


async def _username_unavailable(request: Request, username: str) -> bool:
    state = request.app.state
    async with state.db.connect() as conn:
        if await username_taken(conn, username):
            return True
    return await links.name_reserved(state.redis, username)


async def _register(request: Request, body: Registration, password_hash: str) -> None:
    state = request.app.state
    async with state.db.transaction() as conn:
        existing = await user_by_email(conn, body.email)
        if existing is not None:
            await send_login_link(request, user_id=int(existing["id"]), username=str(existing["username"]),
                                  email=str(existing["email"]), verified=bool(existing["verified"]),
                                  kind="account-exists")
            return
        user_id = await insert_user(conn, username=body.username, email=body.email, verified=False,
                                    password_hash=password_hash)
        code = f"{secrets.randbelow(1_000_000):06d}"
        await registration_codes.store_code(conn, user_id, code, CODE_LIFETIME)
        # Queued before the commit: if Redis fails, the registration is rolled back with a 503.
        await enqueue(state.redis, register_mail(
            to=body.email, user=body.username, code=code, lang=requested_write_language(request, state.settings),
            public_url=state.settings.public_url, expires_at=time.time() + CODE_LIFETIME.total_seconds()),
            state.settings)


@router.post("/confirm", status_code=200, response_class=Response,
             responses={**signed_in_response(), **errors((403, "Already signed-in"), (404, "Not Found"), 429)})
async def confirm_registration(request: Request, user_: MaybeUser,
                  user: Annotated[PlainText, Query(max_length=255)],
                  token: Annotated[PlainText, Query(max_length=512)]) -> Response:
    """Confirm a registration with its mailed code; signs the new account in."""
    refuse_signed_in(user_)
    state = request.app.state
    async with limits.limiter(request).attempt(limits.failed_attempts(request)) as attempt:
        row, verifier = await _live_code(request, user)
        if row is None or verifier is None:
            raise attempt.failure(ApiError(404, "Not Found"))
        await attempt.count(limits.wrong_guesses(request, f"register:{verifier['id']}"))
        if not same_secret(verifier["digest"], registration_codes.code_digest(int(row["id"]), token.strip())):
            # Counted in its own transaction, so the 404 does not roll it back. At the limit the code is
            # dead but its row stays, so the unconfirmed account is still purged (`muistot.jobs`).
            async with state.db.transaction() as conn:
                await registration_codes.count_wrong_guess(conn, int(verifier["id"]))
            raise attempt.failure(ApiError(404, "Not Found"))
        async with state.db.transaction() as conn:
            if not await registration_codes.use_up(conn, int(verifier["id"])):
                raise ApiError(404, "Not Found")  # confirmed by a concurrent request
            await registration_confirmed(conn, int(row["id"]))
            return await session_response(request, conn, int(row["id"]))


async def _live_code(request: Request, username: str) -> tuple[Any, Any]:
    """The account and its newest registration code that is neither expired nor guessed to death."""
    state = request.app.state
    async with state.db.connect() as conn:
        row = await user_by_username(conn, username)
        if row is None:
            return None, None
        verifier = await registration_codes.live_code(conn, int(row["id"]), state.settings.login_code_max_guesses)
    return row, verifier
