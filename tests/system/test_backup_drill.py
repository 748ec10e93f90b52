"""The restore drill of docs/operations.md on the local stack: back up a running stack (MariaDB, uploads,
sessions), wipe all three, restore, and the stack answers as before: same content, same photo, same sign-in.

It uses a database and a Redis prefix of its own on the machine's servers (never another test's)."""

from __future__ import annotations

import asyncio
import os
import secrets
import shutil
import subprocess
import sys
from pathlib import Path

import httpx
from sqlalchemy import func, select

from muistot import migrate
from muistot.db import tables
from muistot.db.engine import create_engine
from muistot.settings import Settings
from muistot_tooling.runner import settings_env
from muistot_tooling.testing.servers import admin_execute, database_url, drop_redis_prefix
from tests.system.conftest import create_user, run_async, stack_settings, start_stack

PNG = "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR4nGP4z8DwHwAFAAH/q842iQAAAABJRU5ErkJggg=="
COUNTED = (tables.users, tables.projects, tables.sites, tables.memories, tables.images)


def muistot(settings: Settings, *args: str) -> str:
    env = {key: value for key, value in os.environ.items() if not key.startswith("MUISTOT_")}
    done = subprocess.run([str(Path(sys.executable).with_name("muistot")), *args],
                          env={**env, **settings_env(settings)}, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stdout + done.stderr
    return done.stdout


async def row_counts(settings: Settings) -> dict[str, int]:
    engine = create_engine(settings)
    try:
        async with engine.connect() as conn:
            return {table.name: int(await conn.scalar(select(func.count()).select_from(table))) for table in COUNTED}
    finally:
        await engine.dispose()


def content(gateway: httpx.Client, headers: dict[str, str], project: str) -> tuple[dict, dict, bytes]:
    site = gateway.get(f"/projects/{project}/sites/kauppatori?include_memories=true", headers=headers)
    assert site.status_code == 200, site.text
    memory = site.json()["memories"][0]
    photo = gateway.get(f"/images/{memory['image']}")
    assert photo.status_code == 200 and photo.headers["content-type"] == "image/png"
    return site.json(), gateway.get("/me", headers=headers).json(), photo.content


def test_backup_wipe_restore_gives_back_the_same_stack(test_settings: Settings, tmp_path: Path):
    name = f"muistot_drill_{secrets.token_hex(4)}"
    admin_execute(f"CREATE DATABASE `{name}` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci")
    settings = stack_settings(test_settings, database_url=database_url(name), var_dir=tmp_path / "var",
                              files_url=f"file://{tmp_path}/var/files",
                              redis_prefix=f"drill{secrets.token_hex(4)}:")
    backup = tmp_path / "backup"
    try:
        migrate.upgrade(settings)
        superuser = run_async(create_user(settings, superuser=True))
        headers = superuser.headers
        project = "kisakesa-drill"
        with start_stack(settings, tmp_path / "logs-before") as stack, httpx.Client(base_url=stack.url,
                                                                                   timeout=10) as gateway:
            steps = [
                ("POST", "/projects", {"id": project, "info": {"lang": "fi", "name": "Kisakesä"}}),
                ("POST", f"/projects/{project}/sites", {"id": "kauppatori", "location": {"lon": 24.95, "lat": 60.17},
                                                        "info": {"lang": "fi", "name": "Kauppatori"}}),
                ("POST", f"/projects/{project}/sites/kauppatori/memories",
                 {"title": "Jäätelöä", "story": "Eskimo-puikko.", "image": PNG}),
            ]
            for method, path, body in steps:
                assert gateway.request(method, path, json=body, headers=headers).status_code == 201, path
            before = content(gateway, headers, project)
            assert before[1]["username"] == superuser.username
            counts = run_async(row_counts(settings))

            out = muistot(settings, "backup", "create", str(backup))
            assert "1 files" in out and "session keys" in out
            # Written after the backup: the restore takes the stack back to before it.
            late = gateway.post(f"/projects/{project}/sites/kauppatori/memories", json={"title": "Myöhemmin"},
                                headers=headers)
            assert late.status_code == 201
        late_path = httpx.URL(late.headers["location"]).path

        # Wipe all three: the database, the uploads and the sessions.
        admin_execute(f"DROP DATABASE `{name}`")
        shutil.rmtree(tmp_path / "var" / "files")
        asyncio.run(drop_redis_prefix(settings))

        out = muistot(settings, "backup", "restore", str(backup), "--yes")
        assert "restored database (mariadb" in out and "1 files" in out
        assert run_async(row_counts(settings)) == counts

        with start_stack(settings, tmp_path / "logs-after") as stack, httpx.Client(base_url=stack.url,
                                                                                  timeout=10) as gateway:
            assert content(gateway, headers, project) == before  # the old token still signs in
            assert gateway.get(late_path, headers=headers).status_code == 404
    finally:
        admin_execute(f"DROP DATABASE IF EXISTS `{name}`")
        asyncio.run(drop_redis_prefix(settings))
