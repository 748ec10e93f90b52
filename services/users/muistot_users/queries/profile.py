"""Queries on the signed-in person's own rows: `users` and `user_personal_data`."""

from __future__ import annotations

from typing import Any

from sqlalchemy import bindparam, select
from sqlalchemy.ext.asyncio import AsyncConnection

from muistot.db.engine import utcnow
from muistot.db.tables import user_identities, user_personal_data, users
from muistot.errors import ApiError
from muistot.identities import Identity
from muistot.passwords import usable_password
from muistot.text import fold

PERSONAL_FIELDS = ("first_name", "last_name", "country", "city", "birth_date")


ACCOUNT = select(users).where(users.c.id == bindparam("user_id"))
ACCOUNT_FOR_UPDATE = ACCOUNT.with_for_update()
# The profile and the linked identities in one round trip: one row per identity (one row, its identity
# columns NULL, when none is linked).
PROFILE = (select(users.c.username, users.c.email, users.c.password_hash, users.c.password_confirmed,
                  *(user_personal_data.c[name] for name in PERSONAL_FIELDS), user_personal_data.c.modified_at,
                  user_identities.c.provider.label("identity_provider"), user_identities.c.issuer,
                  user_identities.c.subject, user_identities.c.email.label("identity_email"),
                  user_identities.c.created_at.label("identity_linked_at"), user_identities.c.last_used_at)
           .select_from(users.outerjoin(user_personal_data, user_personal_data.c.user_id == users.c.id)
                        .outerjoin(user_identities, user_identities.c.user_id == users.c.id))
           .where(users.c.id == bindparam("user_id"))
           .order_by(user_identities.c.id))
_IDENTITY_COLUMNS = ("identity_provider", "issuer", "subject", "identity_email", "identity_linked_at",
                     "last_used_at")


async def load_account(conn: AsyncConnection, user_id: int, *, for_update: bool = False) -> dict[str, Any]:
    """The user's row; a session whose user is gone is a 401, as if the session had ended."""
    query = ACCOUNT_FOR_UPDATE if for_update else ACCOUNT
    row = (await conn.execute(query, {"user_id": user_id})).mappings().first()
    if row is None:
        raise ApiError(401, "Invalid Session")
    return dict(row)


async def load_profile(conn: AsyncConnection, user_id: int) -> tuple[dict[str, Any], list[Identity]]:
    """The profile (with `has_password`) and the provider identities linked to the account, oldest first."""
    rows = (await conn.execute(PROFILE, {"user_id": user_id})).mappings().all()
    if not rows:
        raise ApiError(401, "Invalid Session")
    linked = [Identity(provider=row["identity_provider"], issuer=row["issuer"], subject=row["subject"],
                       email=row["identity_email"], linked_at=row["identity_linked_at"],
                       last_used_at=row["last_used_at"])
              for row in rows if row["identity_provider"] is not None]
    profile = {key: value for key, value in rows[0].items() if key not in _IDENTITY_COLUMNS}
    profile["has_password"] = usable_password(profile.pop("password_hash"), profile.pop("password_confirmed"))
    return profile, linked


async def patch_personal_data(conn: AsyncConnection, user_id: int, changes: dict[str, Any]) -> None:
    """Merge `changes` into the personal-data row, creating it on first use."""
    values = {**changes, "modified_at": utcnow()}
    exists = await conn.scalar(select(user_personal_data.c.user_id)
                               .where(user_personal_data.c.user_id == user_id).with_for_update())
    if exists is None:
        await conn.execute(user_personal_data.insert().values(user_id=user_id, **values))
    else:
        await conn.execute(user_personal_data.update().where(user_personal_data.c.user_id == user_id).values(**values))


async def rename(conn: AsyncConnection, user_id: int, username: str) -> None:
    await conn.execute(users.update().where(users.c.id == user_id).values(
        username=username, username_key=fold(username), modified_at=utcnow()))


async def change_email(conn: AsyncConnection, user_id: int, email: str) -> None:
    """The address is proven (its link came back), so the account is verified too."""
    await conn.execute(users.update().where(users.c.id == user_id).values(
        email=email, email_key=fold(email), verified=True, modified_at=utcnow()))


async def replace_password(conn: AsyncConnection, user_id: int, *, stored: str | None, new_hash: str) -> bool:
    """Set the password unless it changed since `stored` was read; False when it did."""
    unchanged = users.c.password_hash.is_(None) if stored is None else users.c.password_hash == stored
    result = await conn.execute(users.update().where(users.c.id == user_id, unchanged).values(
        password_hash=new_hash, password_confirmed=True, modified_at=utcnow()))
    return bool(result.rowcount == 1)
