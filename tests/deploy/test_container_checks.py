"""`muistot deploy wait-schema` (the Kubernetes init containers) and `muistot deploy ping` (the worker's
health check), run as the containers run them: a process configured by MUISTOT_* variables."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

from deploy_helpers import BIN

from muistot.settings import Settings


def muistot(cwd: Path, env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    clean = {key: value for key, value in os.environ.items() if not key.startswith("MUISTOT_")}
    return subprocess.run([str(BIN / "muistot"), *args], cwd=cwd, env={**clean, **env}, capture_output=True,
                          text=True, timeout=120, check=False)


def settings_env(settings: Settings) -> dict[str, str]:
    return {"MUISTOT_ENV": "test", "MUISTOT_DATABASE_URL": settings.database_url,
            "MUISTOT_REDIS_URL": settings.redis_url, "MUISTOT_VAR_DIR": str(settings.var_dir)}


def test_wait_schema_holds_until_the_migrations_ran(tmp_path: Path) -> None:
    env = {"MUISTOT_ENV": "test", "MUISTOT_DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path}/muistot.sqlite3"}
    waiting = muistot(tmp_path, env, "deploy", "wait-schema", "--timeout", "0")
    assert waiting.returncode == 1
    assert "database at no revision, waiting for" in waiting.stderr
    assert "gave up after 0 s" in waiting.stderr

    assert muistot(tmp_path, env, "migrate").returncode == 0
    ready = muistot(tmp_path, env, "deploy", "wait-schema", "--timeout", "0")
    assert ready.returncode == 0, ready.stderr
    assert ready.stdout.startswith("muistot: database schema at ")


def test_wait_schema_passes_on_the_migrated_mariadb(test_settings: Settings, tmp_path: Path) -> None:
    result = muistot(tmp_path, settings_env(test_settings), "deploy", "wait-schema", "--timeout", "0")
    assert result.returncode == 0, result.stderr


def test_wait_schema_reports_an_unreachable_database(tmp_path: Path) -> None:
    env = {"MUISTOT_ENV": "test", "MUISTOT_DATABASE_URL": "mysql+aiomysql://root@127.0.0.1:1/muistot"}
    result = muistot(tmp_path, env, "deploy", "wait-schema", "--timeout", "0")
    assert result.returncode == 1
    assert "database unreachable" in result.stderr


def test_ping_answers_when_mariadb_and_redis_do(test_settings: Settings, tmp_path: Path) -> None:
    result = muistot(tmp_path, settings_env(test_settings), "deploy", "ping")
    assert result.returncode == 0, result.stderr


def test_ping_fails_with_one_line_when_redis_is_down(test_settings: Settings, tmp_path: Path) -> None:
    env = {**settings_env(test_settings), "MUISTOT_REDIS_URL": "redis://127.0.0.1:1/0"}
    result = muistot(tmp_path, env, "deploy", "ping")
    assert result.returncode != 0
    assert result.stderr.startswith("muistot: cannot reach Redis at redis://127.0.0.1:1/0")
    assert len(result.stderr.strip().splitlines()) == 1
