"""User rows shared by the services and the command line: look up and create accounts."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection

from muistot.db.engine import Database, create_engine, utcnow
from muistot.db.tables import superusers, users
from muistot.names import generate_username
from muistot.redis import RedisClients
from muistot.sessions import SessionStore
from muistot.settings import Settings
from muistot.text import fold


class NameUnavailable(Exception):
    """No free generated username was found."""


async def find_by_email(conn: AsyncConnection, email: str):  # type: ignore[no-untyped-def]
    return (await conn.execute(select(users).where(users.c.email_key == fold(email)))).mappings().first()


async def create_user(db: Database, email: str, *, verified: bool, attempts: int = 10) -> int:
    """Insert a user with a generated username; retries on a name clash, returns the new (or racing) id."""
    for _ in range(attempts):
        username = generate_username()
        try:
            async with db.transaction() as conn:
                now = utcnow()
                result = await conn.execute(users.insert().values(
                    username=username, username_key=fold(username), email=email, email_key=fold(email),
                    verified=verified, created_at=now, modified_at=now))
                return int(result.inserted_primary_key[0])
        except IntegrityError:
            async with db.connect() as conn:
                existing = await find_by_email(conn, email)
            if existing is not None:
                return int(existing["id"])
    raise NameUnavailable("no free username found")


async def is_superuser(conn: AsyncConnection, user_id: int) -> bool:
    return await conn.scalar(select(superusers.c.user_id).where(superusers.c.user_id == user_id)) is not None


async def create_session_for_email(settings: Settings, email: str) -> str:
    """A bearer token for EMAIL's user (created, verified, if missing): for running a service alone."""
    db = Database(create_engine(settings))
    redis = RedisClients.from_settings(settings)
    try:
        async with db.connect() as conn:
            row = await find_by_email(conn, email)
        user_id = int(row["id"]) if row is not None else await create_user(db, email, verified=True)
        async with db.connect() as conn:
            username = await conn.scalar(select(users.c.username).where(users.c.id == user_id))
            superuser = await is_superuser(conn, user_id)
        store = SessionStore(redis.sessions, settings.redis_prefix, settings.session_idle_seconds,
                             settings.session_max_seconds)
        token, _ = await store.create(user_id, str(username), superuser, client="muistot session create")
        return token
    finally:
        await db.dispose()
        await redis.close()
