"""The signed identity header the gateway's verify step hands to the services.

`X-Muistot-Identity` is a short-lived HS256 JWT. Services trust only this header (or, when run
alone, a bearer token they check against Redis themselves); a forged or stale header is a 401.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import jwt

from muistot.sessions import Session

IDENTITY_HEADER = "X-Muistot-Identity"
AUDIENCE = "muistot"
ALGORITHM = "HS256"


@dataclass(frozen=True)
class Principal:
    """The signed-in person making a request. Roles in projects are looked up live, not stored here."""

    user_id: int
    username: str
    superuser: bool
    session_id: str
    signed_in: int = 0  # Unix time of the sign-in behind the session (see `muistot.sessions.Session`)

    def signed_in_within(self, seconds: int) -> bool:
        return time.time() - self.signed_in <= seconds


# Signing and checking a header costs more than the rest of a cached read, and the same session sends
# request after request: both remember recent results. An entry is only as good as what it was made
# from (the session's whole content, or the exact signed header), and the memos are bounded.
MEMO_SIZE = 4096
_minted: dict[tuple[Session, str, int], tuple[str, float]] = {}
_read: dict[tuple[str, str], tuple[Principal, float]] = {}


def _remember(memo: dict, key: object, value: object) -> None:  # type: ignore[type-arg]
    if len(memo) >= MEMO_SIZE:
        memo.clear()
    memo[key] = value


def mint(session: Session, secret: str, ttl: int) -> str:
    """A signed header for this session; the same one again while at least half its lifetime is left."""
    now = time.time()
    known = _minted.get((session, secret, ttl))
    if known is not None and known[1] > now:
        return known[0]
    issued = int(now)
    claims = {"sub": str(session.user_id), "name": session.username, "su": session.superuser,
              "sid": session.id, "sat": session.signed_in, "iat": issued, "exp": issued + ttl, "aud": AUDIENCE}
    token = jwt.encode(claims, secret, algorithm=ALGORITHM)
    _remember(_minted, (session, secret, ttl), (token, issued + ttl / 2))
    return token


class InvalidIdentity(Exception):
    pass


LEEWAY = 2


def read(header: str, secret: str) -> Principal:
    known = _read.get((header, secret))
    if known is not None and known[1] > time.time():
        return known[0]
    try:
        claims = jwt.decode(header, secret, algorithms=[ALGORITHM], audience=AUDIENCE,
                            options={"require": ["sub", "exp", "iat", "aud"]}, leeway=LEEWAY)
        principal = Principal(user_id=int(claims["sub"]), username=str(claims["name"]),
                              superuser=bool(claims["su"]), session_id=str(claims["sid"]),
                              signed_in=int(claims.get("sat", 0)))
        expires = float(claims["exp"]) + LEEWAY
    except (jwt.PyJWTError, KeyError, ValueError, TypeError) as exc:
        raise InvalidIdentity(str(exc)) from None
    _remember(_read, (header, secret), (principal, expires))
    return principal


def principal_of(session: Session) -> Principal:
    return Principal(user_id=session.user_id, username=session.username, superuser=session.superuser,
                     session_id=session.id, signed_in=session.signed_in)
