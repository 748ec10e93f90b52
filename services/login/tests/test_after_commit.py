"""A sign-in starts its session only once its account rows are committed: a first e-mail sign-in that is
rolled back creates neither the account nor a session.

The failure is a real one: another connection holds `LOCK TABLES superusers WRITE` (a long migration, a
stuck transaction), so the sign-in's last read waits past MUISTOT_DB_LOCK_TIMEOUT and its unit rolls back.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import httpx
from sqlalchemy import select

from muistot.db.tables import users
from muistot.settings import Settings
from muistot.text import fold
from muistot_tooling.testing.locks import locked_table

from .conftest import Mailbox, from_ip, link_in, new_email


async def session_count(login: httpx.AsyncClient) -> int:
    redis = login.app.state.redis  # type: ignore[attr-defined]
    return len([key async for key in redis.sessions.scan_iter(match=redis.key("sess:*"))])


async def test_a_first_sign_in_rolled_back_creates_no_account_and_no_session(
        test_settings: Settings, login: httpx.AsyncClient, login_app_with: Callable[..., Any],
        mailbox: Mailbox) -> None:
    address = new_email("rolled-back")
    assert (await login.post("/auth/email", params={"email": address}, headers=from_ip())).status_code == 204
    link = link_in(await mailbox.last(address))
    sessions_before = await session_count(login)
    async with login_app_with(db_lock_timeout=1, request_timeout=30) as client, \
            locked_table(test_settings, "superusers"):
        response = await client.post("/auth/email/exchange", params={"user": link.user, "token": link.token},
                                     headers=from_ip(), timeout=60)
        assert response.status_code == 503
        assert response.json() == {"error": {"code": 503, "message": "Database busy"}}
        assert "authorization" not in response.headers
    async with login.app.state.db.connect() as conn:  # type: ignore[attr-defined]
        assert (await conn.execute(select(users.c.id).where(users.c.email_key == fold(address)))).first() is None
    assert await session_count(login) == sessions_before
