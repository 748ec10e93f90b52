"""The start-up check of the settings: production refuses published and placeholder secrets, and the
time limits must nest (lock wait and statement < request deadline < gateway timeout)."""

from __future__ import annotations

import re
import secrets
from pathlib import Path

import pytest

from muistot.settings import ConfigError, Settings

ROOT = Path(__file__).resolve().parents[2]
PUBLISHING_FILES = (".env.example", "deploy/k8s/overlays/dev/kustomization.yaml", "README.md",
                    "docker-compose.yml")


def prod(tmp_path: Path, **values: object) -> Settings:
    return Settings(_env_file=None, var_dir=tmp_path, env="prod", cors_origins="https://frontend.example",
                    **values)


def published_values(name: str) -> set[str]:
    """Every value the repository shows for a variable, e.g. `MUISTOT_IDENTITY_SECRET=...`."""
    found: set[str] = set()
    for path in PUBLISHING_FILES:
        text = (ROOT / path).read_text(encoding="utf-8")
        # Values only: not compose's `${NAME:?message}` nor the README's "(required)".
        found |= set(re.findall(rf"{name}[=:]\s*([^\s`'\"$?(][^\s`'\"$]*)", text))
    return found


def test_a_random_secret_passes(tmp_path: Path) -> None:
    prod(tmp_path, identity_secret=secrets.token_hex(32)).check()
    prod(tmp_path, identity_secret=secrets.token_urlsafe(32),
         database_url=f"mysql+aiomysql://muistot:{secrets.token_urlsafe(16)}@db:3306/muistot").check()


def test_every_identity_secret_the_repository_publishes_is_refused(tmp_path: Path) -> None:
    values = published_values("MUISTOT_IDENTITY_SECRET")
    assert "change-me-to-a-random-value-of-32-or-more-characters" in values  # the .env.example one
    assert len(values) >= 2
    for value in values:
        with pytest.raises(ConfigError, match="MUISTOT_IDENTITY_SECRET"):
            prod(tmp_path, identity_secret=value).check()
    with pytest.raises(ConfigError, match="MUISTOT_IDENTITY_SECRET"):
        prod(tmp_path).check()  # the built-in development default


@pytest.mark.parametrize("value", [
    "s" * 40,  # long but hardly random
    "ab" * 20,
    "short-but-random-Xq81",
    "please-CHANGE-ME-before-going-live-0123456789",
    "our-example-identity-key-7f3a9c2e1b4d6f80",
    "MySecretSigningKeyForTheGatewayHeader2024",
])
def test_placeholder_like_identity_secrets_are_refused(tmp_path: Path, value: str) -> None:
    with pytest.raises(ConfigError, match="MUISTOT_IDENTITY_SECRET"):
        prod(tmp_path, identity_secret=value).check()


def test_published_database_and_mail_passwords_are_refused(tmp_path: Path) -> None:
    passwords = published_values("MARIADB_PASSWORD") | published_values("MARIADB_ROOT_PASSWORD")
    passwords |= set(re.findall(r"mysql\+aiomysql://muistot:([^@$]+)@",
                                (ROOT / "deploy/k8s/overlays/dev/kustomization.yaml").read_text()))
    assert "change-me-muistot-db-password" in passwords and "muistot-dev-password" in passwords
    good = secrets.token_hex(32)
    for password in passwords:
        with pytest.raises(ConfigError, match="MUISTOT_DATABASE_URL"):
            prod(tmp_path, identity_secret=good,
                 database_url=f"mysql+aiomysql://muistot:{password}@mariadb:3306/muistot").check()
    with pytest.raises(ConfigError, match="MUISTOT_MAIL_URL"):
        prod(tmp_path, identity_secret=good, mail_url="smtp://user:password@smtp.example.org:587").check()
    with pytest.raises(ConfigError, match="MUISTOT_REDIS_URL"):
        prod(tmp_path, identity_secret=good, redis_url="redis://:change-me@redis:6379/0").check()


def test_development_accepts_the_published_values(tmp_path: Path) -> None:
    Settings(_env_file=None, var_dir=tmp_path, env="dev").check()


@pytest.mark.parametrize(("values", "message"), [
    ({"request_timeout": 30, "gateway_timeout": 30}, "MUISTOT_REQUEST_TIMEOUT must be shorter than"),
    ({"db_lock_timeout": 20}, "MUISTOT_DB_LOCK_TIMEOUT must be shorter than"),
    ({"db_statement_timeout": 25}, "MUISTOT_DB_STATEMENT_TIMEOUT must be shorter than"),
    ({"request_timeout": 0, "db_lock_timeout": 40}, "MUISTOT_DB_LOCK_TIMEOUT must be shorter than"),
])
def test_time_limits_must_nest(tmp_path: Path, values: dict[str, float], message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        Settings(_env_file=None, var_dir=tmp_path, **values).check()


def test_the_default_time_limits_nest(tmp_path: Path) -> None:
    settings = Settings(_env_file=None, var_dir=tmp_path)
    settings.check()
    assert settings.db_lock_timeout < settings.request_timeout < settings.gateway_timeout
    assert settings.db_statement_timeout < settings.request_timeout
