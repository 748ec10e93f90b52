"""User rows shared by the services and the command line: find accounts by their folded e-mail address
or username, and create them.

Addresses and usernames are compared folded (`muistot.text.fold`, the unique `*_key` columns), so
`Aino@Example.FI` and `aino@example.fi` are one account everywhere.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Column, exists, select
from sqlalchemy.engine import RowMapping
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection
from sqlalchemy.sql.elements import ColumnElement

from muistot.db.engine import Database, create_engine, utcnow
from muistot.db.tables import users
from muistot.names import generate_username
from muistot.redis import RedisClients
from muistot.roles import is_superuser
from muistot.sessions import SessionStore
from muistot.settings import Settings
from muistot.text import fold


class NameUnavailable(Exception):
    """No free generated username was found."""


def _folded(key: Column[Any], value: str, other_than: int | None) -> ColumnElement[bool]:
    match = key == fold(value)
    return match if other_than is None else match & (users.c.id != other_than)


async def user_by_id(conn: AsyncConnection, user_id: int) -> RowMapping | None:
    return (await conn.execute(select(users).where(users.c.id == user_id))).mappings().first()


async def user_by_email(conn: AsyncConnection, email: str, *, other_than: int | None = None) -> RowMapping | None:
    """The account with this address (folded), leaving out the account `other_than` when given."""
    query = select(users).where(_folded(users.c.email_key, email, other_than))
    return (await conn.execute(query)).mappings().first()


async def user_by_username(conn: AsyncConnection, username: str, *,
                           other_than: int | None = None) -> RowMapping | None:
    """The account with this username (folded), leaving out the account `other_than` when given."""
    query = select(users).where(_folded(users.c.username_key, username, other_than))
    return (await conn.execute(query)).mappings().first()


async def username_taken(conn: AsyncConnection, username: str) -> bool:
    return bool(await conn.scalar(select(exists().where(_folded(users.c.username_key, username, None)))))


async def insert_user(conn: AsyncConnection, *, username: str, email: str | None, verified: bool,
                      password_hash: str | None = None) -> int:
    now = utcnow()
    result = await conn.execute(users.insert().values(
        username=username, username_key=fold(username), email=email,
        email_key=fold(email) if email is not None else None, verified=verified, password_hash=password_hash,
        password_confirmed=False, created_at=now, modified_at=now))
    return int(result.inserted_primary_key[0])


async def create_user(db: Database, email: str, *, verified: bool, attempts: int = 10) -> int:
    """Insert a user with a generated username; retries on a name clash, returns the new (or racing) id."""
    for _ in range(attempts):
        try:
            async with db.transaction() as conn:
                return await insert_user(conn, username=generate_username(), email=email, verified=verified)
        except IntegrityError:
            async with db.connect() as conn:
                existing = await user_by_email(conn, email)
            if existing is not None:
                return int(existing["id"])
    raise NameUnavailable("no free username found")


async def create_session_for_email(settings: Settings, email: str) -> str:
    """A bearer token for EMAIL's user (created, verified, if missing): for running a service alone."""
    db = Database(create_engine(settings))
    redis = RedisClients.from_settings(settings)
    try:
        async with db.connect() as conn:
            row = await user_by_email(conn, email)
        user_id = int(row["id"]) if row is not None else await create_user(db, email, verified=True)
        async with db.connect() as conn:
            account = await user_by_id(conn, user_id)
            superuser = await is_superuser(conn, user_id)
        assert account is not None  # found or created just above; accounts are deleted only by their owner
        store = SessionStore(redis.sessions, settings.redis_prefix, settings.session_idle_seconds,
                             settings.session_max_seconds)
        token, _ = await store.create(user_id, str(account["username"]), superuser, client="muistot session create")
        return token
    finally:
        await db.dispose()
        await redis.close()
