"""The image: hadolint-clean, multi-stage, non-root, health-checked; its entry point's behaviour."""

from __future__ import annotations

import os
import re
import subprocess
from pathlib import Path

from deploy_helpers import BIN, ROOT

DOCKERFILE = ROOT / "Dockerfile"
ENTRYPOINT = ROOT / "deploy" / "docker" / "entrypoint.sh"


def hadolint(path: Path) -> subprocess.CompletedProcess[str]:
    """hadolint failing on anything down to style notes (the CI gate)."""
    return subprocess.run([str(BIN / "hadolint"), "--no-color", "--failure-threshold", "style", str(path)],
                          capture_output=True, text=True, check=False)


def stages(text: str) -> list[list[str]]:
    """Instructions per build stage, continuation lines joined."""
    joined = re.sub(r"\\\n\s*", " ", text)
    out: list[list[str]] = []
    for line in joined.splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        if line.upper().startswith("FROM "):
            out.append([])
        if out:
            out[-1].append(line)
    return out


def image_problems(text: str) -> list[str]:
    """What the final image must be: python:3.11-slim, built in a separate stage, non-root, checked."""
    problems = []
    found = stages(text)
    if len(found) < 2:
        problems.append("needs a builder stage and a final stage")
        return problems
    final = found[-1]
    if "FROM ${PYTHON_IMAGE}" not in final[0] or "ARG PYTHON_IMAGE=python:3.11-slim" not in text:
        problems.append("the final stage is not python:3.11-slim")
    if not any(line.startswith("COPY --from=builder") for line in final):
        problems.append("the final stage does not take the builder's output")
    if any(re.search(r"\b(pip wheel|gcc|build-essential|apt-get install)\b", line) for line in final):
        problems.append("the final stage builds or installs build tools")
    users = [line.split()[1] for line in final if line.startswith("USER ")]
    if not users or users[-1].split(":")[0] in ("root", "0"):
        problems.append("the final stage runs as root")
    if not any(line.startswith("HEALTHCHECK") and "/health" in line for line in final):
        problems.append("no HEALTHCHECK on /health")
    if not any(line.startswith("ARG SERVICE") for line in final):
        problems.append("the service is not a build argument")
    if not any(line.startswith("ENTRYPOINT") for line in final):
        problems.append("no ENTRYPOINT")
    return problems


def test_dockerfile_is_hadolint_clean() -> None:
    result = hadolint(DOCKERFILE)
    assert result.returncode == 0, result.stdout + result.stderr


def test_hadolint_rejects_a_root_image_and_unpinned_packages(tmp_path: Path) -> None:
    broken = tmp_path / "Dockerfile"
    broken.write_text(DOCKERFILE.read_text().replace("USER 10001:10001", "USER root")
                      + "RUN apt-get update && apt-get install -y curl\n")
    result = hadolint(broken)
    assert result.returncode != 0
    assert "DL3002" in result.stdout  # last USER is root
    assert "DL3008" in result.stdout  # apt packages without versions


def test_image_is_multi_stage_non_root_and_health_checked() -> None:
    assert image_problems(DOCKERFILE.read_text()) == []


def test_image_check_rejects_a_root_image_without_health_check() -> None:
    text = DOCKERFILE.read_text()
    text = re.sub(r"HEALTHCHECK .*?\n  CMD .*?\n", "", text, flags=re.DOTALL).replace("USER 10001:10001\n", "")
    assert image_problems(text) == ["the final stage runs as root", "no HEALTHCHECK on /health"]


def run_entrypoint(tmp_path: Path, *args: str) -> list[str]:
    """The entry point with a stand-in `muistot` on PATH that prints the arguments it got."""
    fake = tmp_path / "muistot"
    fake.write_text('#!/bin/sh\nfor arg in "$@"; do echo "$arg"; done\n')
    fake.chmod(0o755)
    env = {**os.environ, "PATH": f"{tmp_path}:/usr/bin:/bin", "MUISTOT_SERVICE": "users"}
    result = subprocess.run(["sh", str(ENTRYPOINT), *args], capture_output=True, text=True, env=env, check=True)
    return result.stdout.splitlines()


def test_entrypoint_serves_the_built_service_on_port_8000(tmp_path: Path) -> None:
    assert run_entrypoint(tmp_path) == ["serve", "users", "--host", "0.0.0.0", "--port", "8000", "--wait", "30"]  # noqa: S104


def test_entrypoint_runs_worker_and_migrate_when_asked(tmp_path: Path) -> None:
    assert run_entrypoint(tmp_path, "worker") == ["worker"]
    assert run_entrypoint(tmp_path, "migrate", "--wait", "60") == ["migrate", "--wait", "60"]


def test_build_context_keeps_what_the_dockerfile_copies() -> None:
    ignore = (ROOT / ".dockerignore").read_text().splitlines()
    copied = {"constraints.txt", "shared/", "services/", "deploy/docker/entrypoint.sh"}
    reincluded = {line[1:] for line in ignore if line.startswith("!")}
    assert copied <= reincluded
    assert "**/tests/" in ignore
