"""Fixtures of the deployment checks (helpers live in deploy_helpers.py, importable from here)."""

from __future__ import annotations

import copy
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

sys.path.insert(0, str(Path(__file__).parent))

from deploy_helpers import OVERLAYS, ROOT, env_example, interpolate, kustomize


@pytest.fixture(scope="session")
def compose_text() -> str:
    return (ROOT / "docker-compose.yml").read_text(encoding="utf-8")


@pytest.fixture(scope="session")
def compose_raw(compose_text: str) -> dict[str, Any]:
    return yaml.safe_load(compose_text)


@pytest.fixture(scope="session")
def compose(compose_raw: dict[str, Any]) -> dict[str, Any]:
    """The compose file as `docker compose up` sees it with the `.env` of `.env.example`."""
    return interpolate(compose_raw, env_example())


@pytest.fixture(scope="session")
def builds() -> dict[str, list[dict[str, Any]]]:
    return {name: kustomize(path) for name, path in OVERLAYS.items()}


@pytest.fixture
def mutate() -> Callable[[Any, Callable[[Any], None]], Any]:
    """A deep copy of a document with one change applied: what the checkers must reject."""

    def apply(document: Any, change: Callable[[Any], None]) -> Any:
        changed = copy.deepcopy(document)
        change(changed)
        return changed

    return apply
