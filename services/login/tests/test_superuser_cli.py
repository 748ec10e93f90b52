"""`muistot superuser grant|revoke EMAIL`, run as a real command against the test database and Redis."""

from __future__ import annotations

import asyncio
import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import select

from muistot import identity
from muistot.db.tables import users
from muistot.settings import Settings
from muistot.text import fold

from .conftest import new_email


async def muistot(settings: Settings, cwd: Path, *args: str) -> tuple[int, str, str]:
    env = {**os.environ, "MUISTOT_ENV": "test", "MUISTOT_DATABASE_URL": settings.database_url,
           "MUISTOT_REDIS_URL": settings.redis_url, "MUISTOT_REDIS_PREFIX": settings.redis_prefix,
           "MUISTOT_VAR_DIR": str(settings.var_dir), "MUISTOT_LOG_JSON": "false"}
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "muistot.cli", *args, cwd=cwd, env=env,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
    out, err = await process.communicate()
    return int(process.returncode or 0), out.decode(), err.decode()


async def session_superuser(login: httpx.AsyncClient, headers: dict[str, str]) -> bool:
    response = await login.get("/_internal/verify", headers=headers)
    assert response.status_code == 200
    secret = login.app.state.settings.identity_secret  # type: ignore[attr-defined]
    return identity.read(response.headers[identity.IDENTITY_HEADER], secret).superuser


async def test_grant_and_revoke_change_a_live_session_at_once(
        service_client: Callable[[str], httpx.AsyncClient], make_user: Callable[..., Any],
        test_settings: Settings, tmp_path: Path) -> None:
    login, admin = service_client("login"), service_client("admin")
    user = await make_user()
    assert not await session_superuser(login, user.headers)
    assert (await admin.get("/admin/superusers", headers=user.headers)).status_code == 403

    code, out, err = await muistot(test_settings, tmp_path, "superuser", "grant", user.email.upper())
    assert code == 0, err
    assert "is now a superuser" in out and "1 live session" in out
    assert await session_superuser(login, user.headers)
    listed = await admin.get("/admin/superusers", headers=user.headers)
    assert listed.status_code == 200 and user.username in listed.json()["items"]

    code, out, err = await muistot(test_settings, tmp_path, "superuser", "revoke", user.email)
    assert code == 0, err
    assert not await session_superuser(login, user.headers)
    assert (await admin.get("/admin/superusers", headers=user.headers)).status_code == 403


async def test_grant_creates_a_verified_account_and_revoke_needs_one(
        service_client: Callable[[str], httpx.AsyncClient], test_settings: Settings, tmp_path: Path) -> None:
    address = new_email("root")
    code, _, err = await muistot(test_settings, tmp_path, "superuser", "grant", address)
    assert code == 0, err
    async with service_client("login").app.state.db.connect() as conn:  # type: ignore[attr-defined]
        row = (await conn.execute(select(users).where(users.c.email_key == fold(address)))).mappings().one()
    assert row["verified"]

    code, _, err = await muistot(test_settings, tmp_path, "superuser", "revoke", new_email("ghost"))
    assert code != 0 and "no user" in err
    code, _, err = await muistot(test_settings, tmp_path, "superuser", "grant", "not-an-address")
    assert code != 0 and "not a valid e-mail address" in err
