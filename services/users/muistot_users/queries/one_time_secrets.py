"""One-time secrets of the `/me` flows (e-mail change links, account deletion codes) in `login_verifiers`.

Only a SHA-256 digest of a secret (salted with the account and purpose) is stored. A user has at
most one outstanding secret per purpose (a new request replaces the old one). Redeeming compares
digests in constant time against the user's own outstanding secrets, deletes the one that matched
(single use), and counts a miss against each of them: after `MAX_ATTEMPTS` misses the secret is
gone and a new one must be requested.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
from typing import Any

from sqlalchemy import delete, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from muistot.db.engine import utcnow
from muistot.db.tables import login_verifiers
from muistot.passwords import same_secret

EMAIL_CHANGE = "email-change"
ACCOUNT_DELETE = "account-delete"
MAX_ATTEMPTS = 5


def digest(user_id: int, purpose: str, secret: str) -> str:
    # Salted with the account and purpose: equal short codes of two accounts never collide in the
    # table's unique digest column, and a digest is useless for any other flow.
    return hashlib.sha256(f"{purpose}:{user_id}:{secret}".encode("utf-8", "surrogatepass")).hexdigest()


def new_link_token() -> str:
    return secrets.token_urlsafe(32)


def new_numeric_code(digits: int = 8) -> str:
    return f"{secrets.randbelow(10 ** digits):0{digits}d}"


async def issue(conn: AsyncConnection, user_id: int, purpose: str, secret: str, *, lifetime: dt.timedelta,
                payload: str | None = None) -> dt.datetime:
    """Store the digest of `secret` (replacing the user's older one for this purpose); returns its expiry."""
    now = utcnow()
    expires = now + lifetime
    await conn.execute(delete(login_verifiers).where(login_verifiers.c.user_id == user_id,
                                                     login_verifiers.c.purpose == purpose))
    await conn.execute(login_verifiers.insert().values(
        user_id=user_id, purpose=purpose, digest=digest(user_id, purpose, secret), payload=payload,
        expires_at=expires, created_at=now))
    return expires


async def redeem(conn: AsyncConnection, user_id: int, purpose: str, secret: str) -> dict[str, Any] | None:
    """The matching outstanding secret (now used up), or None. The caller must commit even on None,
    so that the miss is counted."""
    rows = (await conn.execute(
        select(login_verifiers).where(login_verifiers.c.user_id == user_id, login_verifiers.c.purpose == purpose,
                                      login_verifiers.c.expires_at > utcnow()).with_for_update()
    )).mappings().all()
    wanted = digest(user_id, purpose, secret)
    match = None
    for row in rows:  # compare against every row, so the time spent does not depend on which one matched
        if same_secret(row["digest"], wanted):
            match = dict(row)
    if match is not None:
        await conn.execute(delete(login_verifiers).where(login_verifiers.c.id == match["id"]))
        return match
    if rows:
        await conn.execute(update(login_verifiers)
                           .where(login_verifiers.c.user_id == user_id, login_verifiers.c.purpose == purpose)
                           .values(attempts=login_verifiers.c.attempts + 1))
        await conn.execute(delete(login_verifiers).where(login_verifiers.c.user_id == user_id,
                                                         login_verifiers.c.purpose == purpose,
                                                         login_verifiers.c.attempts >= MAX_ATTEMPTS))
    return None


async def outstanding(conn: AsyncConnection, user_id: int) -> list[dict[str, Any]]:
    """The user's pending one-time secrets, without their digests (for the data export)."""
    rows = (await conn.execute(
        select(login_verifiers.c.purpose, login_verifiers.c.payload, login_verifiers.c.created_at,
               login_verifiers.c.expires_at)
        .where(login_verifiers.c.user_id == user_id, login_verifiers.c.expires_at > utcnow())
        .order_by(login_verifiers.c.id)
    )).mappings().all()
    return [dict(row) for row in rows]
