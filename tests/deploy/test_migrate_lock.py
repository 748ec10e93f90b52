"""`muistot migrate` takes a lock per database: every Kubernetes pod's init container migrates on an upgrade,
so several run at once, and each must end with the schema at head and no error."""

from __future__ import annotations

import os
import secrets
import subprocess
from pathlib import Path

from deploy_helpers import BIN
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from muistot.migrate import head_revision
from muistot_tooling.testing.servers import _sync_server_url, admin_execute, database_url


def test_concurrent_migrations_of_a_fresh_database_all_succeed(tmp_path: Path) -> None:
    name = f"muistot_lock_{secrets.token_hex(4)}"
    admin_execute(f"CREATE DATABASE `{name}` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci")
    try:
        clean = {key: value for key, value in os.environ.items() if not key.startswith("MUISTOT_")}
        env = {**clean, "MUISTOT_ENV": "test", "MUISTOT_DATABASE_URL": database_url(name),
               "MUISTOT_VAR_DIR": str(tmp_path)}
        processes = [subprocess.Popen([str(BIN / "muistot"), "migrate"], env=env, cwd=tmp_path, text=True,
                                      stdout=subprocess.PIPE, stderr=subprocess.STDOUT) for _ in range(4)]
        outputs = [process.communicate(timeout=180)[0] for process in processes]
        assert [process.returncode for process in processes] == [0] * 4, outputs
        engine = create_engine(make_url(_sync_server_url()).set(database=name))
        with engine.connect() as conn:
            assert conn.execute(text("SELECT version_num FROM alembic_version")).scalars().all() == [head_revision()]
        engine.dispose()
    finally:
        admin_execute(f"DROP DATABASE IF EXISTS `{name}`")
