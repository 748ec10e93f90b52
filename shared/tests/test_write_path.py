"""Every write route of every service goes through the write path (`muistot.write`, docs/write-path.md).

The routes are read from the four apps themselves, so a route added later is checked too: each POST, PUT,
PATCH and DELETE must have the write path in its dependency tree, and no module outside the write path
may bump cache generations or queue mail itself (the seed of the tooling keeps its own bump).
"""

from __future__ import annotations

import ast
import importlib
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.routing import APIRoute, iter_route_contexts

from muistot.deps import app_sessions
from muistot.write import app_write

SERVICES = ("login", "users", "admin", "data")
WRITE_METHODS = {"POST", "PUT", "PATCH", "DELETE"}
ROOT = Path(__file__).resolve().parents[2]
# The gateway's error page answers every method and changes nothing (`muistot.app.health_router`).
NOT_WRITES = {"/_internal/error/{status}"}
# Signing out writes no rows and must work with the database down (a unit checks out a connection): these
# routes change sessions only, through the session store.
SESSION_ONLY = {("users", "DELETE", "/me"), ("users", "DELETE", "/me/sessions"),
                ("users", "DELETE", "/me/sessions/{session_id}")}


def app_of(service: str, settings: Any) -> FastAPI:
    module = importlib.import_module(f"muistot_{service}.app")
    return module.create_app(settings.model_copy(update={"disable_comments": False}))


def calls_of(dependant: Any) -> Iterator[Callable[..., Any]]:
    for dependency in dependant.dependencies:
        if dependency.call is not None:
            yield dependency.call
        yield from calls_of(dependency)


def write_routes(app: FastAPI) -> list[Any]:
    """Every route, as mounted (the included routers' contexts read like their routes)."""
    found = []
    for context in iter_route_contexts(app.routes):
        route = context.original_route
        if isinstance(route, APIRoute) and route.methods & WRITE_METHODS and context.path not in NOT_WRITES:
            found.append(context)
    return found


@pytest.mark.parametrize("service", SERVICES)
def test_every_write_route_takes_the_write_path(service, test_settings):
    routes = write_routes(app_of(service, test_settings))
    assert routes, f"{service} has write routes"
    outside = []
    for route in routes:
        method = sorted(route.methods & WRITE_METHODS)[0]
        needed = app_sessions if (service, method, route.path) in SESSION_ONLY else app_write
        if needed not in set(calls_of(route.dependant)):
            outside.append(f"{method} {route.path}")
    assert outside == []


def sources() -> list[Path]:
    found = list((ROOT / "shared/muistot").rglob("*.py"))
    for service in SERVICES:
        found += (ROOT / "services" / service / f"muistot_{service}").rglob("*.py")
    return [path for path in found if path != ROOT / "shared/muistot/write.py"]


def direct_side_effects(path: Path) -> list[str]:
    """Names of generation bumps and mail queueing a module reaches for itself."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module in ("muistot.mail", "muistot.mail.outbox"):
            found += [alias.name for alias in node.names if alias.name == "enqueue"]
        if isinstance(node, ast.ImportFrom) and node.module == "muistot.content" and any(
                alias.name == "generations" for alias in node.names):
            found.append("generations")
        if isinstance(node, ast.Attribute) and node.attr in ("bump", "advance") and isinstance(node.value, ast.Name) \
                and node.value.id == "generations":
            found.append(f"generations.{node.attr}")
    return found


def test_no_module_bumps_generations_or_queues_mail_itself():
    # The cache reads the counters and the mail package defines the queue: neither writes through a route.
    readers = {ROOT / "shared/muistot/content/cache.py", ROOT / "shared/muistot/content/generations.py"}
    mail = set((ROOT / "shared/muistot/mail").rglob("*.py"))
    offenders = {str(path.relative_to(ROOT)): names for path in sources()
                 if path not in readers | mail and (names := direct_side_effects(path))}
    assert offenders == {}
