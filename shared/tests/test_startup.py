"""Bad configuration stops a service at start with one clear line, not a traceback."""

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

MUISTOT = str(Path(sys.executable).parent / "muistot")


def _serve(tmp_path, **env):
    clean = {k: v for k, v in os.environ.items() if not k.startswith("MUISTOT_")}
    clean.update({"MUISTOT_VAR_DIR": str(tmp_path), **env})
    return subprocess.run([MUISTOT, "serve", "data", "--port", "1"], env=clean, capture_output=True, text=True,
                          timeout=60)


@pytest.mark.parametrize(("env", "expected"), [
    ({"MUISTOT_DATABASE_URL": "mysql+aiomysql://root@127.0.0.1:1/none"}, "cannot reach the database"),
    ({"MUISTOT_DATABASE_URL": "postgres://db/x"}, "unsupported scheme"),
    ({"MUISTOT_REDIS_URL": "not a url"}, "MUISTOT_REDIS_URL is not a redis:// URL"),
    ({"MUISTOT_DB_POOL_SIZE": "many"}, "invalid setting MUISTOT_DB_POOL_SIZE"),
    ({"MUISTOT_ENV": "prod"}, "MUISTOT_IDENTITY_SECRET must be set"),
    ({"MUISTOT_ENV": "prod", "MUISTOT_IDENTITY_SECRET": "q7Vf2kP9xL4mZ8nR1tW6yB3cH5jD0sGa"},
     "MUISTOT_CORS_ORIGINS must list"),
    ({"MUISTOT_REQUEST_TIMEOUT": "45"}, "MUISTOT_REQUEST_TIMEOUT must be shorter than MUISTOT_GATEWAY_TIMEOUT"),
    ({}, "run `muistot migrate`"),
])
def test_bad_configuration_is_one_line(tmp_path, env, expected):
    result = _serve(tmp_path, **env)
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and expected in lines[0] and lines[0].startswith("muistot: ")
    assert "Traceback" not in result.stderr


def test_password_in_database_url_is_not_printed(tmp_path):
    result = _serve(tmp_path, MUISTOT_DATABASE_URL="mysql+aiomysql://root:hunter2@127.0.0.1:1/none")
    assert result.returncode == 2 and "hunter2" not in result.stderr and "***" in result.stderr


def test_default_redis_is_the_embedded_one_of_make_run(tmp_path, monkeypatch):
    from muistot.settings import Settings
    from muistot_tooling.fakeredis_server import DEFAULT_PORT

    monkeypatch.delenv("MUISTOT_REDIS_URL", raising=False)
    clean = Settings(_env_file=None, var_dir=tmp_path)
    assert clean.redis_url == f"redis://127.0.0.1:{DEFAULT_PORT}/0"


@pytest.fixture
def private_redis(tmp_path):
    """A redis-server of our own, without persistence, on a free port (never the shared one)."""
    from muistot_tooling.testing.ports import free_port

    port = free_port()
    server = subprocess.Popen(["redis-server", "--port", str(port), "--bind", "127.0.0.1", "--save", "",
                               "--appendonly", "no", "--dir", str(tmp_path)], stdout=subprocess.DEVNULL)
    try:
        import redis

        client = redis.Redis(port=port)
        for _ in range(100):
            try:
                client.ping()
                break
            except redis.ConnectionError:
                time.sleep(0.05)
        yield client, f"redis://127.0.0.1:{port}/0"
    finally:
        server.kill()
        server.wait()


async def test_production_warns_when_the_session_redis_would_forget_sessions(tmp_path, private_redis, capsys):
    from muistot.settings import Settings
    from muistot.startup import check_redis

    client, url = private_redis
    settings = Settings(_env_file=None, var_dir=tmp_path, env="prod", redis_url=url)
    await check_redis(settings)
    warning = capsys.readouterr().err.strip().splitlines()
    assert len(warning) == 1 and warning[0].startswith("muistot: warning: the session Redis")
    assert "appendonly no" in warning[0]
    client.config_set("appendonly", "yes")
    await check_redis(settings)
    assert capsys.readouterr().err == ""
    # Development does not ask.
    client.config_set("appendonly", "no")
    await check_redis(settings.model_copy(update={"env": "dev"}))
    assert capsys.readouterr().err == ""


def test_the_served_schema_revision_is_the_newest_migration():
    from muistot.db.schema import SCHEMA_REVISION
    from muistot.migrate import head_revision

    assert head_revision() == SCHEMA_REVISION, "a new migration must update muistot.db.schema.SCHEMA_REVISION"


def test_a_service_process_does_not_load_the_migration_tooling():
    """What `muistot serve` imports for any service: the apps and the start-up checks, without Alembic."""
    code = ("import sys, muistot.cli, muistot.startup, muistot_login.app, muistot_users.app, muistot_admin.app, "
            "muistot_data.app; print(sorted(m for m in sys.modules if m.split('.')[0] in ('alembic', 'mako')))")
    loaded = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert loaded.strip() == "[]"
