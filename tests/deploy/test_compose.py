"""docker-compose.yml: valid against the compose-spec schema, scalable, and its labels up to date."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from importlib.resources import files
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml
from deploy_helpers import BIN, ROOT, env_example, interpolate

from muistot_tooling import deploy_render

API_SERVICES = ("login", "users", "admin", "data")
COMPOSE_SCHEMA = json.loads(files("check_jsonschema.builtin_schemas.vendor").joinpath("compose-spec.json").read_text())


def schema_errors(document: Any) -> list[str]:
    validator = jsonschema.Draft202012Validator(COMPOSE_SCHEMA)
    return [f"{'/'.join(map(str, error.absolute_path))}: {error.message}" for error in validator.iter_errors(document)]


def stack_problems(compose: dict[str, Any]) -> list[str]:
    """What `docker compose up --scale data=3` and the deployment rules need of the stack."""
    services = compose["services"]
    problems = []
    for name, service in services.items():
        if "container_name" in service:
            problems.append(f"{name}: container_name stops it from scaling")
        for port in service.get("ports", []):
            published = str(port)
            if name == "traefik" and published.endswith(":5600"):
                continue
            if name == "mailpit" and published.startswith("127.0.0.1:"):
                continue
            problems.append(f"{name}: publishes {published}")
    for name in (*API_SERVICES, "worker"):
        service = services[name]
        if service.get("restart") not in ("always", "unless-stopped"):
            problems.append(f"{name}: no restart policy")
        if not service.get("healthcheck", {}).get("test"):
            problems.append(f"{name}: no health check")
        if service.get("depends_on", {}).get("migrate", {}).get("condition") != "service_completed_successfully":
            problems.append(f"{name}: does not wait for the migrate step")
    for name in API_SERVICES:
        args = services[name].get("build", {}).get("args", {})
        if args.get("SERVICE") != name:
            problems.append(f"{name}: image built for {args.get('SERVICE')!r}")
    if services.get("migrate", {}).get("command", [None])[0] != "migrate":
        problems.append("no one-shot migrate service")
    if services["worker"].get("command") != ["worker"]:
        problems.append("worker does not run `muistot worker`")
    volumes = {mount.split(":")[0] for service in services.values() for mount in service.get("volumes", [])}
    for volume in ("database", "files"):
        if volume not in compose.get("volumes", {}) or volume not in volumes:
            problems.append(f"named volume {volume!r} missing")
    if not services["traefik"]["image"].startswith("traefik:v3"):
        problems.append("the gateway is not Traefik v3")
    if services["login"]["environment"].get("MUISTOT_MAIL_URL") != "smtp://mailpit:1025":
        problems.append("mail does not go to the Mailpit catcher by default")
    return problems


def test_compose_file_matches_the_compose_spec(compose_raw: dict[str, Any], compose: dict[str, Any]) -> None:
    assert schema_errors(compose_raw) == []
    assert schema_errors(compose) == []


def test_check_jsonschema_cli_accepts_the_compose_file() -> None:
    result = subprocess.run([str(BIN / "check-jsonschema"), "--builtin-schema", "vendor.compose-spec",
                             str(ROOT / "docker-compose.yml")], capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.parametrize(("change", "where"), [
    (lambda c: c["services"]["data"].update(healthchek={"test": ["CMD", "true"]}), "services/data"),
    (lambda c: c["services"]["login"].update(labels=42), "services/login/labels"),
    (lambda c: c["services"]["worker"]["depends_on"]["migrate"].update(condition="finished"),
     "services/worker/depends_on"),
])
def test_schema_rejects_a_broken_compose_file(compose: dict[str, Any], mutate, change, where: str) -> None:
    errors = schema_errors(mutate(compose, change))
    assert any(error.startswith(where) for error in errors), errors


def test_stack_scales_waits_for_migrations_and_checks_health(compose: dict[str, Any]) -> None:
    assert stack_problems(compose) == []


@pytest.mark.parametrize(("change", "problem"), [
    (lambda c: c["services"]["data"].update(ports=["5614:8000"]), "data: publishes 5614:8000"),
    (lambda c: c["services"]["data"].update(container_name="muistot-data"),
     "data: container_name stops it from scaling"),
    (lambda c: c["services"]["users"].pop("depends_on"), "users: does not wait for the migrate step"),
    (lambda c: c["services"]["worker"].pop("healthcheck"), "worker: no health check"),
])
def test_stack_check_rejects_a_stack_that_cannot_scale_or_start(compose, mutate, change, problem: str) -> None:
    assert stack_problems(mutate(compose, change)) == [problem]


def test_compose_needs_the_secrets_of_the_env_file(compose_raw: dict[str, Any]) -> None:
    env = env_example()
    assert {"MARIADB_PASSWORD", "MARIADB_ROOT_PASSWORD", "MUISTOT_IDENTITY_SECRET"} <= set(env)
    assert len(env["MUISTOT_IDENTITY_SECRET"]) >= 32  # MUISTOT_ENV=prod refuses shorter ones
    del env["MUISTOT_IDENTITY_SECRET"]
    with pytest.raises(AssertionError, match="MUISTOT_IDENTITY_SECRET unset"):
        interpolate(compose_raw, env)


def test_every_variable_the_compose_file_reads_is_in_env_example(compose_text: str) -> None:
    used = set(re.findall(r"(?<!\$)\$\{([A-Z_][A-Z0-9_]*)", compose_text))
    documented = set(re.findall(r"^#?([A-Z_][A-Z0-9_]*)=", (ROOT / ".env.example").read_text(), re.MULTILINE))
    assert used - documented == set()


def test_rendered_labels_are_current(compose_text: str) -> None:
    assert deploy_render.render_compose(compose_text, deploy_render.compose_labels()) == compose_text


def test_render_check_fails_on_a_hand_edited_label(tmp_path: Path) -> None:
    for relative in ("docker-compose.yml", "deploy/docker/traefik-services.yml", "deploy/k8s/base/kustomization.yaml",
                     "deploy/k8s/base/gateway.yaml"):
        (tmp_path / relative).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(ROOT / relative, tmp_path / relative)
    muistot = [str(BIN / "muistot-dev"), "gateway", "render", "--root", str(tmp_path)]
    assert subprocess.run([*muistot, "--check"], capture_output=True, check=False).returncode == 0

    compose_file = tmp_path / "docker-compose.yml"
    edited = compose_file.read_text().replace("routers.users-me.priority=500", "routers.users-me.priority=900")
    assert edited != compose_file.read_text()
    compose_file.write_text(edited)
    result = subprocess.run([*muistot, "--check"], capture_output=True, text=True, check=False)
    assert result.returncode == 1
    assert "docker-compose.yml" in result.stderr

    assert subprocess.run(muistot, capture_output=True, check=False).returncode == 0
    assert compose_file.read_text() == (ROOT / "docker-compose.yml").read_text()


def test_labels_are_quoted_so_yaml_keeps_rules_intact(compose_raw: dict[str, Any]) -> None:
    labels = compose_raw["services"]["login"]["labels"]
    docs = next(label for label in labels if label.startswith("traefik.http.routers.login-docs-read.rule="))
    assert "PathRegexp(`^/openapi/(login|users|admin|data)\\.json$$`)" in docs
    assert yaml.safe_load(yaml.safe_dump(labels)) == labels
