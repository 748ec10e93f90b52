"""Sign-in with an OpenID Connect provider (MUISTOT_OIDC_PROVIDERS): the authorization code flow
with PKCE, `state` and `nonce`.

1. `GET /auth/oauth/{provider}` keeps the state, nonce and PKCE verifier in Redis and redirects the
   browser to the provider.
2. The provider sends the browser back to `GET /auth/oauth/{provider}/callback`; we redeem the code,
   validate the ID token and redirect to `{MUISTOT_PUBLIC_URL}#oauth-login:code=…` with a one-time
   code of ours (never a session token in a URL), or to `#oauth-error:error=…&provider=…`.
3. The frontend trades that code at `POST /auth/oauth/exchange`, answered like the e-mail link
   exchange: 200 and `Authorization: bearer …`. Only then is an account linked or created.
"""

from __future__ import annotations

import logging
from typing import Annotated
from urllib.parse import urlencode

from fastapi import APIRouter, Path, Request
from fastapi.responses import RedirectResponse, Response
from redis.exceptions import RedisError
from sqlalchemy.exc import IntegrityError

from muistot.deps import MaybeCaller, RedisDep, SettingsDep
from muistot.errors import ApiError
from muistot.openapi import errors, signed_in_response
from muistot.ratelimit import TooManyRequests
from muistot.redis import RedisClients
from muistot.settings import Settings
from muistot.signin import NewSession
from muistot.urls import location
from muistot.validation import PlainText
from muistot.write import Write, WriteDep
from muistot_login import accounts, oauth_flow
from muistot_login.limits import LimitsDep
from muistot_login.models import ProviderCodeExchange, ProviderInfo, ProviderList
from muistot_login.oidc import CodeRejected, InvalidIdToken, OidcClients, OidcDep, ProviderUnavailable
from muistot_login.routes.email_login import NOT_FOUND, refuse_signed_in
from muistot_login.signin import sign_in

router = APIRouter(prefix="/auth", tags=["auth"])
log = logging.getLogger("muistot.login.oauth")

# Longer values than these are nobody's state or code (ours are 43 characters; providers' codes are short).
MAX_STATE_LENGTH = 512
MAX_CODE_LENGTH = 4096
NO_STORE = {"Cache-Control": "no-store", "Referrer-Policy": "no-referrer"}


class SignInRefused(Exception):
    """A callback that does not sign anyone in; `reason` goes to the frontend as `#oauth-error:error=`."""

    def __init__(self, reason: str, detail: str = "", *, counts: bool = True) -> None:
        super().__init__(reason)
        self.reason = reason
        self.detail = detail
        self.counts = counts  # a failure of the client's (counted per IP), not of the provider


def callback_url(request: Request, settings: Settings, provider: str) -> str:
    """Where the provider sends the browser back: MUISTOT_API_URL (with the root path) when set, else
    the gateway address this request came through, as in `Location` headers."""
    if settings.public_api_url:
        return f"{settings.public_api_url}/auth/oauth/{provider}/callback"
    return location(request, "auth", "oauth", provider, "callback")


def frontend_redirect(settings: Settings, action: str, **params: str) -> RedirectResponse:
    return RedirectResponse(f"{settings.public_url}#{action}:{urlencode(params)}", status_code=302,
                            headers=NO_STORE)


@router.get("/oauth", response_model=ProviderList)
async def list_providers(settings: SettingsDep) -> ProviderList:
    """The providers people can sign in with: names (the contract's list) and button labels."""
    configured = settings.oidc_providers
    return ProviderList(oauth_providers=[provider.name for provider in configured],
                        providers=[ProviderInfo(name=provider.name, label=provider.label) for provider in configured])


@router.get("/oauth/{provider}", status_code=302, response_class=RedirectResponse,
            responses={302: {"description": "To the provider's sign-in page (a browser navigation, not a fetch)"},
                       **errors((404, "Unknown provider"), 429,
                                (503, "Provider unavailable", "Lost Connection to Redis"))})
async def start_provider_sign_in(request: Request, provider: Annotated[PlainText, Path(max_length=64)],
                                 oidc: OidcDep, limits: LimitsDep, redis: RedisDep,
                                 settings: SettingsDep) -> Response:
    """Start signing in with `provider`: a browser navigation, answered with a redirect to it."""
    client = oidc.get(provider)
    if client is None:
        raise ApiError(404, "Unknown provider")
    # Starting stores a state for 10 minutes but checks no secret: a client over its failure limit
    # is refused, a start itself does not count.
    await limits.limiter.check(limits.failed_attempts())
    try:
        await client.metadata()  # before anything is stored: a provider that is down leaves nothing behind
    except ProviderUnavailable as exc:
        log.warning("provider %s unavailable: %s", provider, exc)
        raise ApiError(503, "Provider unavailable", headers={"Retry-After": "30"}) from None
    state, pending = await oauth_flow.begin(redis, provider, callback_url(request, settings, provider))
    url = await client.authorization_url(redirect_uri=pending.redirect_uri, state=state, nonce=pending.nonce,
                                         code_verifier=pending.code_verifier)
    return RedirectResponse(url, status_code=302, headers=NO_STORE)


@router.get("/oauth/{provider}/callback", status_code=302, response_class=RedirectResponse,
            responses={302: {"description": "To `MUISTOT_PUBLIC_URL#oauth-login:code=…` or `#oauth-error:error=…`"}})
async def provider_callback(provider: str, oidc: OidcDep, limits: LimitsDep, redis: RedisDep,
                            settings: SettingsDep, state: str | None = None, code: str | None = None,
                            error: str | None = None) -> Response:
    """The provider's return. Every outcome is a redirect to the frontend; nothing is written but a
    one-time code, so a refusal leaves nothing behind."""
    try:
        # Counted against the client's failure limit, and given back when the sign-in succeeds.
        async with limits.limiter.attempt(limits.failed_attempts()) as attempt:
            try:
                one_time_code = await _prove(oidc, redis, provider, state, code, error)
            except SignInRefused as refused:
                attempt.failed = refused.counts
                raise
    except TooManyRequests:
        return _refused(settings, provider, SignInRefused("too_many_requests"))
    except SignInRefused as refused:
        return _refused(settings, provider, refused)
    except RedisError as exc:
        log.warning("sign-in with %.64r failed: Redis unavailable (%s)", provider, exc)
        return frontend_redirect(settings, "oauth-error", error="unavailable", provider=provider[:64])
    return frontend_redirect(settings, "oauth-login", code=one_time_code)


def _refused(settings: Settings, provider: str, refused: SignInRefused) -> Response:
    log.info("sign-in with %.64r refused: %s %s", provider, refused.reason, refused.detail)
    return frontend_redirect(settings, "oauth-error", error=refused.reason, provider=provider[:64])


async def _prove(oidc: OidcClients, redis: RedisClients, provider: str, state: str | None, code: str | None,
                 error: str | None) -> str:
    """Check the callback and the provider's ID token; the one-time code for the frontend."""
    client = oidc.get(provider)
    if client is None:
        raise SignInRefused("unknown_provider")
    pending = None
    if state and len(state) <= MAX_STATE_LENGTH:
        pending = await oauth_flow.take_pending(redis, state)
    # A state is single use and belongs to the provider it was made for (no mixing up providers).
    if pending is None or pending.provider != provider:
        raise SignInRefused("invalid_state")
    if error is not None:  # the person declined, or the provider refused the request
        raise SignInRefused("access_denied" if error == "access_denied" else "provider_error", error[:64],
                            counts=False)
    if not code or len(code) > MAX_CODE_LENGTH:
        raise SignInRefused("invalid_code", "no code")
    try:
        token = await client.redeem(code=code, redirect_uri=pending.redirect_uri,
                                    code_verifier=pending.code_verifier)
        identity = await client.verify(token, nonce=pending.nonce)
    except ProviderUnavailable as exc:
        raise SignInRefused("provider_unavailable", str(exc), counts=False) from None
    except CodeRejected as exc:
        raise SignInRefused("invalid_code", str(exc)) from None
    except InvalidIdToken as exc:
        raise SignInRefused("invalid_token", str(exc)) from None
    return await oauth_flow.issue_code(redis, provider, identity)


@router.post("/oauth/exchange", status_code=200, response_class=Response,
             responses={**signed_in_response(), **errors((403, "Already signed-in"), (404, NOT_FOUND), 429)})
async def exchange_provider_code(request: Request, caller: MaybeCaller, body: ProviderCodeExchange,
                                 limits: LimitsDep, redis: RedisDep, write: WriteDep) -> Response:
    """Trade the one-time code of `#oauth-login:code=…` for a session: 200 with the token in `Authorization`."""
    refuse_signed_in(caller)
    async with limits.limiter.attempt(limits.failed_attempts()) as attempt:
        proven = await oauth_flow.take_code(redis, body.code)
        if proven is None:
            raise attempt.failure(ApiError(404, NOT_FOUND))
    try:
        session = await _sign_in(request, write, proven)
    except IntegrityError:
        # A sign-in racing this one linked the identity or took the address first: now it is visible.
        session = await _sign_in(request, write, proven)
    return session.response()


async def _sign_in(request: Request, write: Write, proven: oauth_flow.ProvenSignIn) -> NewSession:
    # The account and its link are committed before the session exists.
    async with write.unit(None) as unit:
        user_id = await accounts.account_for_identity(unit, write.db, proven)
        return await sign_in(unit, request, user_id)
