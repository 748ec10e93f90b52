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
from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import Response
from sqlalchemy.exc import IntegrityError

from muistot.accounts import insert_user, user_by_email, user_by_username, username_taken
from muistot.content.language import requested_write_language
from muistot.db.engine import Database
from muistot.deps import DatabaseDep, MaybeCaller, RedisDep, SettingsDep
from muistot.errors import ApiError
from muistot.mail.templates import register_mail
from muistot.openapi import MAIL_LANGUAGE, errors, signed_in_response
from muistot.passwords import hash_password, policy_error, same_secret, verify_password
from muistot.redis import RedisClients
from muistot.text import fold
from muistot.validation import PlainText
from muistot.write import Write, WriteDep
from muistot_login import links
from muistot_login.limits import LimitsDep
from muistot_login.models import PasswordLogin, Registration
from muistot_login.queries import registration_codes
from muistot_login.queries.accounts import registration_confirmed
from muistot_login.routes.email_login import refuse_signed_in, send_login_link
from muistot_login.signin import sign_in

router = APIRouter(prefix="/auth", tags=["auth"])

CODE_LIFETIME = timedelta(minutes=10)


@router.post("/password", status_code=200, response_class=Response,
             responses={**signed_in_response(),
                        **errors((400, "Bad Request"), (403, "Already signed-in", "Not verified"), 429)})
async def password_login(request: Request, caller: MaybeCaller, body: PasswordLogin, limits: LimitsDep,
                         db: DatabaseDep, settings: SettingsDep, write: WriteDep) -> Response:
    refuse_signed_in(caller)
    async with limits.limiter.attempt(limits.failed_attempts()) as attempt:
        async with db.connect() as conn:
            if body.username is not None:
                row = await user_by_username(conn, body.username)
            else:
                row = await user_by_email(conn, str(body.email))
        # Failures count per account (or per identifier when there is none: both look the same) and client.
        account = f"user:{row['id']}" if row is not None else f"id:{fold(body.username or str(body.email))}"
        failures = limits.password_failures(account)
        await attempt.count(failures)
        stored = row["password_hash"] if row is not None else None
        if not await verify_password(body.password, stored, settings.bcrypt_cost):
            raise attempt.failure(ApiError(400, "Bad Request"))
        assert row is not None  # a match needs a stored hash
        await limits.limiter.reset(failures)
        if not (row["verified"] and row["password_confirmed"]):
            raise ApiError(403, "Not verified")
        async with write.unit(None) as unit:
            session = await sign_in(unit, request, int(row["id"]))
    return session.response()


@router.post("/register", status_code=201, response_class=Response, openapi_extra=MAIL_LANGUAGE,
             responses={201: {"description": "A confirmation code was mailed (or, for an address that has an "
                                             "account already, a login link)"},
                        **errors((403, "Already signed-in"), (409, "Username already in use"), 429)})
async def register(request: Request, caller: MaybeCaller, body: Registration, limits: LimitsDep, db: DatabaseDep,
                   redis: RedisDep, settings: SettingsDep, write: WriteDep) -> Response:
    problem = policy_error(body.password, settings.password_min_length)
    if problem:  # validation comes before "Already signed-in", like every 422 (docs/contract.md, "Order of checks")
        raise RequestValidationError([{"loc": ("body", "password"), "msg": problem, "type": "value_error"}])
    refuse_signed_in(caller)
    await limits.limiter.hit(*limits.mail_requests(body.email))
    if await _username_unavailable(db, redis, body.username):
        raise ApiError(409, "Username already in use")
    # Hash before looking at the address, so a taken address answers as slowly as a free one.
    password_hash = await hash_password(body.password, settings.bcrypt_cost)
    try:
        await _register(request, write, body, password_hash)
    except IntegrityError:
        # Lost a race for the name or the address: answer as if we had seen it first.
        if await _username_unavailable(db, redis, body.username):
            raise ApiError(409, "Username already in use") from None
        await _register(request, write, body, password_hash)
    return Response(status_code=201)


async def _username_unavailable(db: Database, redis: RedisClients, username: str) -> bool:
    async with db.connect() as conn:
        if await username_taken(conn, username):
            return True
    return await links.name_reserved(redis, username)


async def _register(request: Request, write: Write, body: Registration, password_hash: str) -> None:
    async with write.unit(None) as unit:
        existing = await user_by_email(unit.conn, body.email)
        if existing is not None:
            await send_login_link(unit, request, user_id=int(existing["id"]), username=str(existing["username"]),
                                  email=str(existing["email"]), verified=bool(existing["verified"]),
                                  kind="account-exists")
            return
        user_id = await insert_user(unit.conn, username=body.username, email=body.email, verified=False,
                                    password_hash=password_hash)
        code = f"{secrets.randbelow(1_000_000):06d}"
        await registration_codes.store_code(unit.conn, user_id, code, CODE_LIFETIME)
        # Mailed once the account is committed: a registration rolled back mails no dead code.
        unit.mail(register_mail(
            to=body.email, user=body.username, code=code, lang=requested_write_language(request, unit.settings),
            public_url=unit.settings.public_url, expires_at=time.time() + CODE_LIFETIME.total_seconds()))


@router.post("/confirm", status_code=200, response_class=Response,
             responses={**signed_in_response(), **errors((403, "Already signed-in"), (404, "Not Found"), 429)})
async def confirm_registration(request: Request, caller: MaybeCaller, limits: LimitsDep, db: DatabaseDep,
                               settings: SettingsDep, write: WriteDep,
                               user: Annotated[PlainText, Query(max_length=255)],
                               token: Annotated[PlainText, Query(max_length=512)]) -> Response:
    """Confirm a registration with its mailed code; signs the new account in."""
    refuse_signed_in(caller)
    async with limits.limiter.attempt(limits.failed_attempts()) as attempt:
        async with db.connect() as conn:
            row = await user_by_username(conn, user)
            code = None if row is None else await registration_codes.live_code(conn, int(row["id"]),
                                                                               settings.login_code_max_guesses)
        if row is None or code is None:
            raise attempt.failure(ApiError(404, "Not Found"))
        await attempt.count(limits.wrong_guesses(f"register:{code['id']}"))
        if not same_secret(code["digest"], registration_codes.code_digest(int(row["id"]), token.strip())):
            # Counted in its own unit, so the 404 does not roll it back. At the limit the code is dead but
            # its row stays, so the unconfirmed account is still purged (`muistot.jobs`).
            async with write.unit(None) as unit:
                await registration_codes.count_wrong_guess(unit.conn, int(code["id"]))
            raise attempt.failure(ApiError(404, "Not Found"))
        async with write.unit(None) as unit:
            if not await registration_codes.use_up(unit.conn, int(code["id"])):
                raise ApiError(404, "Not Found")  # confirmed by a concurrent request
            await registration_confirmed(unit.conn, int(row["id"]))
            session = await sign_in(unit, request, int(row["id"]))
    return session.response()
