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


def mint(session: Session, secret: str, ttl: int) -> str:
    now = int(time.time())
    claims = {"sub": str(session.user_id), "name": session.username, "su": session.superuser,
              "sid": session.id, "sat": session.signed_in, "iat": now, "exp": now + ttl, "aud": AUDIENCE}
    return jwt.encode(claims, secret, algorithm=ALGORITHM)


class InvalidIdentity(Exception):
    pass


def read(header: str, secret: str) -> Principal:
    try:
        claims = jwt.decode(header, secret, algorithms=[ALGORITHM], audience=AUDIENCE,
                            options={"require": ["sub", "exp", "iat", "aud"]}, leeway=2)
        return Principal(user_id=int(claims["sub"]), username=str(claims["name"]), superuser=bool(claims["su"]),
                         session_id=str(claims["sid"]), signed_in=int(claims.get("sat", 0)))
    except (jwt.PyJWTError, KeyError, ValueError, TypeError) as exc:
        raise InvalidIdentity(str(exc)) from None


def principal_of(session: Session) -> Principal:
    return Principal(user_id=session.user_id, username=session.username, superuser=session.superuser,
                     session_id=session.id, signed_in=session.signed_in)
