"""What proving an address at sign-in changes in an account's row."""

from __future__ import annotations

from sqlalchemy import case, false, null, true, update
from sqlalchemy.ext.asyncio import AsyncConnection

from muistot.db.engine import utcnow
from muistot.db.tables import users
from muistot_login.queries import registration_codes


async def email_login_confirmed(conn: AsyncConnection, user_id: int) -> None:
    """An e-mail link was exchanged: the address is proven, so the account is verified and a password
    nobody confirmed (set by someone registering this address) stops existing (docs/sign-in.md)."""
    await conn.execute(update(users).where(users.c.id == user_id).values(
        verified=True,
        password_hash=case((users.c.password_confirmed == true(), users.c.password_hash), else_=null()),
        modified_at=utcnow()))
    await registration_codes.drop_codes(conn, user_id)


async def registration_confirmed(conn: AsyncConnection, user_id: int) -> None:
    """The registration code came back: the address is proven and the password chosen with it counts."""
    await conn.execute(update(users).where(users.c.id == user_id).values(
        verified=True,
        password_confirmed=case((users.c.password_hash.is_(None), false()), else_=true()),
        modified_at=utcnow()))
