"""`muistot backup` on the embedded setup (SQLite file, file uploads) with sessions in the real Redis; the
MariaDB drill through the running stack is tests/system/test_backup_drill.py."""

from __future__ import annotations

import asyncio
import json
import secrets
from pathlib import Path

import pytest
from redis.asyncio import Redis
from sqlalchemy import select

from muistot import migrate
from muistot.backup import BackupError, create_backup, restore_backup
from muistot.db import tables
from muistot.db.engine import Database, create_engine
from muistot.sessions import SessionStore
from muistot.settings import Settings
from muistot_tooling.testing.factories import insert_signed_in_user
from muistot_tooling.testing.servers import REDIS_SERVER, drop_redis_prefix


@pytest.fixture
def sqlite_settings(tmp_path: Path):
    settings = Settings(env="test", var_dir=tmp_path / "var", database_url=f"sqlite+aiosqlite:///{tmp_path}/var/m.db",
                        redis_url=REDIS_SERVER, redis_prefix=f"bk{secrets.token_hex(4)}:")
    migrate.upgrade(settings)
    yield settings
    asyncio.run(drop_redis_prefix(settings))


async def _sign_in(settings: Settings) -> tuple[str, str]:
    redis = Redis.from_url(settings.session_redis_url)
    database = Database(create_engine(settings))
    try:
        store = SessionStore(redis, settings.redis_prefix, settings.session_idle_seconds, settings.session_max_seconds)
        user = await insert_signed_in_user(database, store)
        return user.token, user.username
    finally:
        await database.dispose()
        await redis.aclose()


async def _state(settings: Settings, token: str) -> tuple[list[str], bool]:
    redis = Redis.from_url(settings.session_redis_url)
    database = Database(create_engine(settings))
    try:
        async with database.connect() as conn:
            names = list((await conn.execute(select(tables.users.c.username).order_by(tables.users.c.id))).scalars())
        store = SessionStore(redis, settings.redis_prefix, settings.session_idle_seconds, settings.session_max_seconds)
        return names, await store.validate(token) is not None
    finally:
        await database.dispose()
        await redis.aclose()


def test_sqlite_files_and_sessions_come_back(sqlite_settings: Settings, tmp_path: Path):
    token, username = asyncio.run(_sign_in(sqlite_settings))
    files = tmp_path / "var" / "files"
    files.mkdir(parents=True)
    (files / "photo.jpg").write_bytes(b"\xff\xd8 not really a jpeg")
    manifest = create_backup(sqlite_settings, tmp_path / "backup")
    assert manifest["database"]["kind"] == "sqlite" and manifest["files"]["count"] == 1
    assert manifest["sessions"]["keys"] == 2  # the session and the user's index of sessions

    (tmp_path / "var" / "m.db").unlink()
    (files / "photo.jpg").unlink()
    asyncio.run(drop_redis_prefix(sqlite_settings))

    restored = restore_backup(sqlite_settings, tmp_path / "backup")
    assert restored["sessions_restored"] == 2
    assert asyncio.run(_state(sqlite_settings, token)) == ([username], True)
    assert (files / "photo.jpg").read_bytes() == b"\xff\xd8 not really a jpeg"


def test_a_damaged_or_missing_backup_is_refused(sqlite_settings: Settings, tmp_path: Path):
    create_backup(sqlite_settings, tmp_path / "backup")
    with pytest.raises(BackupError, match="holds a backup already"):
        create_backup(sqlite_settings, tmp_path / "backup")
    part = json.loads((tmp_path / "backup" / "manifest.json").read_text())["database"]["file"]
    with open(tmp_path / "backup" / part, "ab") as handle:
        handle.write(b"x")
    with pytest.raises(BackupError, match="checksum"):
        restore_backup(sqlite_settings, tmp_path / "backup")
    with pytest.raises(BackupError, match="holds no backup"):
        restore_backup(sqlite_settings, tmp_path / "nothing")
