"""The server-side halves of a sign-in with a provider, in the cache Redis, each usable once.

- `login:oauth:state:<sha256 of state>`: the provider, nonce, PKCE verifier and callback URL of a
  sign-in that `GET /auth/oauth/{provider}` started; 10 minutes to come back to the callback.
- `login:oauth:code:<sha256 of code>`: the identity the callback proved, for 2 minutes, until the
  frontend trades the one-time code at `POST /auth/oauth/exchange`.

Both are read with GETDEL, so a replayed state or code finds nothing. Only digests of the values
that travel through browsers are keys; the values themselves are never stored.
"""

from __future__ import annotations

import hashlib
import json
import secrets
from dataclasses import asdict, dataclass

from authlib.common.security import generate_token

from muistot.redis import RedisClients
from muistot_login.oidc import ProvenIdentity

STATE_SECONDS = 600
CODE_SECONDS = 120
VERIFIER_LENGTH = 64  # RFC 7636, section 4.1: 43 to 128 unreserved characters


def _digest(value: str) -> str:
    return hashlib.sha256(value.encode("utf-8", "surrogatepass")).hexdigest()


@dataclass(frozen=True)
class PendingSignIn:
    provider: str
    nonce: str
    code_verifier: str
    redirect_uri: str


@dataclass(frozen=True)
class ProvenSignIn:
    provider: str
    issuer: str
    subject: str
    email: str | None
    email_verified: bool


def _state_key(redis: RedisClients, state: str) -> str:
    return redis.key("login", "oauth", "state", _digest(state))


def _code_key(redis: RedisClients, code: str) -> str:
    return redis.key("login", "oauth", "code", _digest(code))


async def begin(redis: RedisClients, provider: str, redirect_uri: str) -> tuple[str, PendingSignIn]:
    """A new sign-in: its state (for the provider's URL) and what the callback will need."""
    state = secrets.token_urlsafe(32)
    pending = PendingSignIn(provider=provider, nonce=secrets.token_urlsafe(32),
                            code_verifier=generate_token(VERIFIER_LENGTH), redirect_uri=redirect_uri)
    await redis.cache.set(_state_key(redis, state), json.dumps(asdict(pending)), ex=STATE_SECONDS)
    return state, pending


async def take_pending(redis: RedisClients, state: str) -> PendingSignIn | None:
    raw = await redis.cache.getdel(_state_key(redis, state))
    return None if raw is None else PendingSignIn(**json.loads(raw))


async def issue_code(redis: RedisClients, provider: str, identity: ProvenIdentity) -> str:
    code = secrets.token_urlsafe(32)
    proven = ProvenSignIn(provider=provider, issuer=identity.issuer, subject=identity.subject,
                          email=identity.email, email_verified=identity.email_verified)
    await redis.cache.set(_code_key(redis, code), json.dumps(asdict(proven)), ex=CODE_SECONDS)
    return code


async def take_code(redis: RedisClients, code: str) -> ProvenSignIn | None:
    raw = await redis.cache.getdel(_code_key(redis, code))
    return None if raw is None else ProvenSignIn(**json.loads(raw))
