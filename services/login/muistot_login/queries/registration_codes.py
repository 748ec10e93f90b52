"""Registration codes (6 digits, mailed at `/auth/register`) in `login_verifiers`, kept as salted digests."""

from __future__ import annotations

import hashlib
from datetime import timedelta

from sqlalchemy import delete, select, update
from sqlalchemy.engine import RowMapping
from sqlalchemy.ext.asyncio import AsyncConnection

from muistot.db.engine import utcnow
from muistot.db.tables import login_verifiers

REGISTER = "register"


def code_digest(user_id: int, code: str) -> str:
    # Salted with the account, so equal codes of two accounts never collide in the unique column.
    return hashlib.sha256(f"{REGISTER}:{user_id}:{code}".encode("utf-8", "surrogatepass")).hexdigest()


async def store_code(conn: AsyncConnection, user_id: int, code: str, lifetime: timedelta) -> None:
    now = utcnow()
    await conn.execute(login_verifiers.insert().values(
        user_id=user_id, purpose=REGISTER, digest=code_digest(user_id, code), expires_at=now + lifetime,
        created_at=now))


async def live_code(conn: AsyncConnection, user_id: int, max_guesses: int) -> RowMapping | None:
    """The account's newest registration code that is neither expired nor guessed to death."""
    return (await conn.execute(
        select(login_verifiers).where(login_verifiers.c.user_id == user_id,
                                      login_verifiers.c.purpose == REGISTER,
                                      login_verifiers.c.expires_at > utcnow(),
                                      login_verifiers.c.attempts < max_guesses)
        .order_by(login_verifiers.c.id.desc()).limit(1))).mappings().first()


async def count_wrong_guess(conn: AsyncConnection, code_id: int) -> None:
    await conn.execute(update(login_verifiers).where(login_verifiers.c.id == code_id)
                       .values(attempts=login_verifiers.c.attempts + 1))


async def use_up(conn: AsyncConnection, code_id: int) -> bool:
    """Delete the code; False when a concurrent request used it first."""
    result = await conn.execute(delete(login_verifiers).where(login_verifiers.c.id == code_id))
    return bool(result.rowcount == 1)


async def drop_codes(conn: AsyncConnection, user_id: int) -> None:
    """Every registration code of the account (its address was proven another way)."""
    await conn.execute(delete(login_verifiers).where(login_verifiers.c.user_id == user_id,
                                                     login_verifiers.c.purpose == REGISTER))
