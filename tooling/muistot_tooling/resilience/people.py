"""Users of the run, written straight into its database with a live session (as the system tests make
them), a password where a case needs one, and signed identity headers to forge."""

from __future__ import annotations

import asyncio
import time
from typing import Any

import jwt
from redis.asyncio import Redis
from sqlalchemy import update

from muistot.db import tables
from muistot.db.engine import create_engine
from muistot.identity import ALGORITHM, AUDIENCE
from muistot.passwords import hash_password
from muistot.sessions import SessionStore
from muistot.settings import Settings
from muistot_tooling.testing.factories import TestUser, insert_signed_in_user

Person = TestUser


async def _create(settings: Settings, superuser: bool, password: str | None) -> TestUser:
    engine = create_engine(settings)
    redis = Redis.from_url(settings.session_redis_url)
    try:
        store = SessionStore(redis, settings.redis_prefix, settings.session_idle_seconds, settings.session_max_seconds)
        person = await insert_signed_in_user(engine, store, superuser=superuser, client="resilience")
        if password is not None:
            digest = await hash_password(password, settings.bcrypt_cost)
            async with engine.begin() as conn:
                await conn.execute(update(tables.users).where(tables.users.c.id == person.id).values(
                    password_hash=digest, password_confirmed=True))
        return person
    finally:
        await engine.dispose()
        await redis.aclose()


def create_person(settings: Settings, *, superuser: bool = False, password: str | None = None) -> Person:
    return asyncio.run(_create(settings, superuser, password))


def identity_header(secret: str, person: Person, *, superuser: bool = False, age: int = 0, ttl: int = 60) -> str:
    """An identity header as the gateway's verify step signs it, issued `age` seconds ago."""
    issued = int(time.time()) - age
    claims: dict[str, Any] = {"sub": str(person.id), "name": person.username, "su": superuser,
                              "sid": person.session_id, "sat": issued, "iat": issued, "exp": issued + ttl,
                              "aud": AUDIENCE}
    return jwt.encode(claims, secret, algorithm=ALGORITHM)
