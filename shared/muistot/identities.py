"""Sign-in identities at OpenID Connect providers (`user_identities`): who is linked to which account.

An identity is the provider's issuer and the subject it names the person by; each is linked to
exactly one account. The login service links them at sign-in; the users service lists them on
`/me`, exports them and unlinks one, but never the last way left to sign in.
"""

from __future__ import annotations

import hashlib
from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import delete, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from muistot.db.engine import utcnow
from muistot.db.tables import user_identities


@dataclass(frozen=True)
class Identity:
    provider: str
    issuer: str
    subject: str
    email: str | None
    linked_at: datetime
    last_used_at: datetime


def identity_key(issuer: str, subject: str) -> str:
    # A separator that cannot occur in an issuer URL, so no two (issuer, subject) pairs share a key.
    return hashlib.sha256(f"{issuer}\n{subject}".encode("utf-8", "surrogatepass")).hexdigest()


async def account_of(conn: AsyncConnection, issuer: str, subject: str) -> int | None:
    """The account this identity is linked to, if any."""
    user_id = await conn.scalar(select(user_identities.c.user_id)
                                .where(user_identities.c.identity_key == identity_key(issuer, subject)))
    return None if user_id is None else int(user_id)


async def link(conn: AsyncConnection, user_id: int, *, provider: str, issuer: str, subject: str,
               email: str | None) -> None:
    """Link a new identity to the account (an existing link raises IntegrityError)."""
    now = utcnow()
    await conn.execute(user_identities.insert().values(
        user_id=user_id, provider=provider, issuer=issuer, subject=subject,
        identity_key=identity_key(issuer, subject), email=email, created_at=now, last_used_at=now))


async def signed_in_with(conn: AsyncConnection, issuer: str, subject: str) -> None:
    await conn.execute(update(user_identities)
                       .where(user_identities.c.identity_key == identity_key(issuer, subject))
                       .values(last_used_at=utcnow()))


async def linked(conn: AsyncConnection, user_id: int) -> list[Identity]:
    rows = (await conn.execute(select(user_identities).where(user_identities.c.user_id == user_id)
                               .order_by(user_identities.c.id))).mappings().all()
    return [Identity(provider=row["provider"], issuer=row["issuer"], subject=row["subject"], email=row["email"],
                     linked_at=row["created_at"], last_used_at=row["last_used_at"]) for row in rows]


def other_way_to_sign_in(identities: Collection[Identity], provider: str, *, has_email: bool,
                         has_password: bool, configured: Collection[str]) -> bool:
    """Whether the account can still sign in once `provider` is unlinked: by e-mail link (an address),
    by password, or by another linked provider that is still configured."""
    return has_email or has_password or any(
        identity.provider != provider and identity.provider in configured for identity in identities)


async def unlink(conn: AsyncConnection, user_id: int, provider: str) -> int:
    """Remove the account's identities at `provider`; returns how many there were."""
    result = await conn.execute(delete(user_identities).where(user_identities.c.user_id == user_id,
                                                              user_identities.c.provider == provider))
    return int(result.rowcount or 0)
