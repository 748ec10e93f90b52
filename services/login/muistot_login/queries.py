"""User rows as the login flows read and change them."""

from __future__ import annotations

from typing import Any

from sqlalchemy import case, delete, exists, false, null, select, true, update
from sqlalchemy.engine import RowMapping
from sqlalchemy.ext.asyncio import AsyncConnection

from muistot.db.engine import utcnow
from muistot.db.tables import login_verifiers, superusers, users
from muistot.text import fold

REGISTER = "register"


async def user_by_id(conn: AsyncConnection, user_id: int) -> RowMapping | None:
    return (await conn.execute(select(users).where(users.c.id == user_id))).mappings().first()


async def user_by_username(conn: AsyncConnection, username: str) -> RowMapping | None:
    return (await conn.execute(select(users).where(users.c.username_key == fold(username)))).mappings().first()


async def user_by_email(conn: AsyncConnection, email: str) -> RowMapping | None:
    return (await conn.execute(select(users).where(users.c.email_key == fold(email)))).mappings().first()


async def username_taken(conn: AsyncConnection, username: str) -> bool:
    return bool(await conn.scalar(select(exists().where(users.c.username_key == fold(username)))))


async def is_superuser(conn: AsyncConnection, user_id: int) -> bool:
    return await conn.scalar(select(superusers.c.user_id).where(superusers.c.user_id == user_id)) is not None


async def insert_user(conn: AsyncConnection, *, username: str, email: str | None, verified: bool,
                      password_hash: str | None = None) -> int:
    now = utcnow()
    values: dict[str, Any] = {
        "username": username, "username_key": fold(username), "email": email,
        "email_key": fold(email) if email is not None else None,
        "verified": verified, "password_hash": password_hash, "password_confirmed": False,
        "created_at": now, "modified_at": now,
    }
    result = await conn.execute(users.insert().values(**values))
    return int(result.inserted_primary_key[0])


async def email_login_confirmed(conn: AsyncConnection, user_id: int) -> None:
    """An e-mail link was exchanged: the address is proven, so the account is verified and a password
    nobody confirmed (set by someone registering this address) stops existing (§11.1 pre-hijack fix)."""
    await conn.execute(update(users).where(users.c.id == user_id).values(
        verified=True,
        password_hash=case((users.c.password_confirmed == true(), users.c.password_hash), else_=null()),
        modified_at=utcnow()))
    await conn.execute(delete(login_verifiers).where(login_verifiers.c.user_id == user_id,
                                                     login_verifiers.c.purpose == REGISTER))


async def registration_confirmed(conn: AsyncConnection, user_id: int) -> None:
    """The registration code came back: the address is proven and the password chosen with it counts."""
    await conn.execute(update(users).where(users.c.id == user_id).values(
        verified=True,
        password_confirmed=case((users.c.password_hash.is_(None), false()), else_=true()),
        modified_at=utcnow()))
