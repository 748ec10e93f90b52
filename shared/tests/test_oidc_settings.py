"""MUISTOT_OIDC_PROVIDERS and MUISTOT_API_URL: what is accepted, and what production refuses."""

from __future__ import annotations

import json
import secrets
import subprocess
import sys
from pathlib import Path

import pytest
from pydantic import ValidationError

from muistot import migrate
from muistot.settings import ConfigError, Settings
from muistot_tooling.runner import settings_env

KEYCLOAK = {"name": "keycloak", "issuer": "https://id.example.org/realms/museo", "client_id": "muistot",
            "client_secret": secrets.token_urlsafe(24)}


def settings(tmp_path: Path, providers: object, **values: object) -> Settings:
    raw = providers if isinstance(providers, str) else json.dumps(providers)
    return Settings(_env_file=None, var_dir=tmp_path, oidc_providers=raw, **values)


def prod(tmp_path: Path, providers: object, **values: object) -> Settings:
    return settings(tmp_path, providers, env="prod", identity_secret=secrets.token_hex(32),
                    cors_origins="https://frontend.example", **values)


def test_a_provider_list_is_read_from_json_with_defaults(tmp_path: Path) -> None:
    [provider] = settings(tmp_path, [{**KEYCLOAK, "scopes": ["email"]}]).oidc_providers
    assert provider.label == "keycloak"
    assert provider.scopes == ("openid", "email")  # without openid there would be no ID token
    assert "client_secret" not in repr(provider)
    assert settings(tmp_path, "").oidc_providers == []


@pytest.mark.parametrize(("providers", "problem"), [
    ("[{not json", "Expecting property name"),
    ([{**KEYCLOAK, "name": "Has Spaces"}], "pattern"),
    ([{**KEYCLOAK, "name": "exchange"}], "reserved"),
    ([{**KEYCLOAK, "issuer": "ftp://id.example.org"}], "http(s) URL"),
    ([{**KEYCLOAK, "clientid": "typo"}], "Extra inputs"),
    ([KEYCLOAK, {**KEYCLOAK, "issuer": "https://other.example.org"}], "same name: keycloak"),
    ([KEYCLOAK, {**KEYCLOAK, "name": "other"}], "same issuer"),
])
def test_bad_provider_lists_are_refused(tmp_path: Path, providers: object, problem: str) -> None:
    with pytest.raises(ValidationError, match="oidc_providers") as raised:
        settings(tmp_path, providers)
    assert problem in str(raised.value)


def test_production_refuses_a_provider_without_a_secret_or_with_a_plain_http_issuer(tmp_path: Path) -> None:
    prod(tmp_path, [KEYCLOAK]).check()
    prod(tmp_path, [{**KEYCLOAK, "issuer": "http://127.0.0.1:8080/realms/x"}]).check()  # loopback
    prod(tmp_path, [{**KEYCLOAK, "issuer": "http://localhost:8080"}]).check()
    for changed, message in [({"client_secret": ""}, "no client_secret"),
                             ({"client_secret": "change-me-client-secret"}, "placeholder"),
                             ({"issuer": "http://id.example.org"}, "plain-HTTP issuer")]:
        with pytest.raises(ConfigError, match=message):
            prod(tmp_path, [{**KEYCLOAK, **changed}]).check()
        settings(tmp_path, [{**KEYCLOAK, **changed}]).check()  # development takes them


def test_the_api_url_is_an_address_without_a_path(tmp_path: Path) -> None:
    good = settings(tmp_path, [], api_url="https://api.example.org/", root_path="/api")
    good.check()
    assert good.public_api_url == "https://api.example.org/api"
    for bad in ("api.example.org", "https://api.example.org/api", "https://api.example.org?x=1"):
        with pytest.raises(ConfigError, match="MUISTOT_API_URL"):
            settings(tmp_path, [], api_url=bad).check()


def test_child_processes_get_the_same_providers(tmp_path: Path) -> None:
    configured = settings(tmp_path, [KEYCLOAK])
    env = settings_env(configured)
    code = "from muistot.settings import Settings; print(Settings(_env_file=None).model_dump_json())"
    shown = subprocess.run([sys.executable, "-c", code], env={**env, "PATH": ""}, capture_output=True, text=True,
                           check=True, timeout=60).stdout
    assert json.loads(shown)["oidc_providers"] == json.loads(configured.model_dump_json())["oidc_providers"]


def test_a_bad_provider_list_stops_the_command_line_with_one_line(tmp_path: Path) -> None:
    env = {"MUISTOT_OIDC_PROVIDERS": "[{]", "MUISTOT_VAR_DIR": str(tmp_path), "PATH": ""}
    done = subprocess.run([sys.executable, "-m", "muistot.cli", "migrate"], env=env, capture_output=True, text=True,
                          timeout=60, check=False, cwd=tmp_path)
    assert done.returncode == 2
    assert done.stderr.startswith("muistot: invalid setting MUISTOT_OIDC_PROVIDERS:"), done.stderr
    assert len(done.stderr.strip().splitlines()) == 1


def test_the_identities_migration_runs_both_ways_on_sqlite(tmp_path: Path) -> None:
    from sqlalchemy import create_engine, inspect, text
    from sqlalchemy.exc import IntegrityError

    configured = Settings(_env_file=None, var_dir=tmp_path, database_url=f"sqlite+aiosqlite:///{tmp_path}/m.db")
    migrate.upgrade(configured)
    migrate.downgrade(configured, "0002")
    engine = create_engine(f"sqlite:///{tmp_path}/m.db")
    try:
        assert "user_identities" not in inspect(engine).get_table_names()
        migrate.upgrade(configured)
        insert = text("INSERT INTO user_identities (user_id, provider, issuer, subject, identity_key) "
                      "VALUES (:user, 'p', 'https://i', :subject, 'same-key')")
        with engine.begin() as conn:
            conn.execute(text("PRAGMA foreign_keys=ON"))
            conn.execute(text("INSERT INTO users (id, username, username_key) VALUES (1, 'Someone', 'someone')"))
            conn.execute(insert, {"user": 1, "subject": "a"})
        with pytest.raises(IntegrityError), engine.begin() as conn:
            conn.execute(insert, {"user": 1, "subject": "b"})  # one identity key, one row
        with engine.begin() as conn:
            conn.execute(text("PRAGMA foreign_keys=ON"))
            conn.execute(text("DELETE FROM users WHERE id = 1"))
            assert conn.execute(text("SELECT count(*) FROM user_identities")).scalar() == 0  # cascaded
    finally:
        engine.dispose()
