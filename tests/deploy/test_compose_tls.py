"""docker-compose.tls.yml: HTTPS with Let's Encrypt on top of the plain-HTTP default stack."""

from __future__ import annotations

import copy
import re
from typing import Any

import pytest
import yaml
from deploy_helpers import ROOT, env_example, interpolate
from test_compose import schema_errors, stack_problems
from test_traefik_static import traefik_verdict

TLS_ENV = {"MUISTOT_DOMAIN": "muistot.example.org", "ACME_EMAIL": "ops@example.org", "MUISTOT_GATEWAY_PORT": "443"}


def merged(base: dict[str, Any], override: dict[str, Any]) -> dict[str, Any]:
    """`docker compose -f base -f override`: mappings merge, `ports` and `volumes` add up, the rest replaces."""
    out = copy.deepcopy(base)

    def merge(target: dict[str, Any], extra: dict[str, Any]) -> None:
        for key, value in extra.items():
            if isinstance(value, dict) and isinstance(target.get(key), dict) and key != "healthcheck":
                merge(target[key], value)
            elif key in ("ports", "volumes") and isinstance(value, list):
                target[key] = [*target.get(key, []), *value]
            else:
                target[key] = copy.deepcopy(value)

    merge(out, override)
    return out


@pytest.fixture(scope="module")
def tls_raw() -> dict[str, Any]:
    return yaml.safe_load((ROOT / "docker-compose.tls.yml").read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def tls_stack(compose_raw: dict[str, Any], tls_raw: dict[str, Any]) -> dict[str, Any]:
    return interpolate(merged(compose_raw, tls_raw), {**env_example(), **TLS_ENV})


def test_the_tls_stack_matches_the_compose_spec_and_still_scales(tls_stack: dict[str, Any]) -> None:
    assert schema_errors(tls_stack) == []
    assert [problem for problem in stack_problems(tls_stack) if "80:8080" not in problem] == []
    assert "acme" in tls_stack["volumes"] and "acme:/acme" in tls_stack["services"]["traefik"]["volumes"]


def test_the_tls_command_keeps_every_flag_of_the_default_one(compose: dict[str, Any], tls_stack: dict[str, Any]):
    command = tls_stack["services"]["traefik"]["command"]
    assert [flag for flag in compose["services"]["traefik"]["command"] if flag not in command] == []
    assert "--entryPoints.web.http.tls.certResolver=letsencrypt" in command
    assert "--entryPoints.web.http.tls.domains[0].main=muistot.example.org" in command
    assert "--certificatesResolvers.letsencrypt.acme.tlsChallenge=true" in command
    assert tls_stack["services"]["traefik"]["ports"] == ["443:5600", "80:8080"]


def test_the_default_stack_stays_plain_http(compose: dict[str, Any]) -> None:
    assert not [flag for flag in compose["services"]["traefik"]["command"] if ".tls" in flag or "acme" in flag]


def test_tls_needs_a_domain_and_a_contact(compose_raw: dict[str, Any], tls_raw: dict[str, Any]) -> None:
    env = {**env_example(), **TLS_ENV}
    del env["MUISTOT_DOMAIN"]
    with pytest.raises(AssertionError, match="MUISTOT_DOMAIN unset"):
        interpolate(merged(compose_raw, tls_raw), env)


def test_traefik_accepts_the_tls_command(tls_stack: dict[str, Any], tmp_path) -> None:
    # No ACME traffic leaves the machine: the CA is a closed port on loopback, the storage a temporary file.
    command = [re.sub(r"acme\.caServer=.*", "acme.caServer=https://127.0.0.1:9/directory", flag)
               .replace("/acme/acme.json", str(tmp_path / "acme.json"))
               for flag in tls_stack["services"]["traefik"]["command"]]
    accepted, output = traefik_verdict(command)
    assert accepted, output


def test_traefik_rejects_a_misspelt_tls_flag(tls_stack: dict[str, Any], tmp_path) -> None:
    command = [flag.replace("tlsChallenge", "tlsChalenge").replace("/acme/acme.json", str(tmp_path / "a.json"))
               .replace("https://acme-v02.api.letsencrypt.org/directory", "https://127.0.0.1:9/directory")
               for flag in tls_stack["services"]["traefik"]["command"]]
    accepted, output = traefik_verdict(command)
    assert not accepted and "tlschalenge" in output.lower()
