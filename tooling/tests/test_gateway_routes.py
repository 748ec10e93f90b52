"""The routing table: every sample request is won by its own route, and the table's invariants hold."""

from __future__ import annotations

import re

import pytest

from muistot.settings import SERVICES, Settings
from muistot_tooling.gateway import routes
from muistot_tooling.gateway.routes import RouteTable, RouteTableError

TABLE = routes.load()
SAMPLES = [(route.name, sample) for route in TABLE for sample in route.samples]


@pytest.mark.parametrize(("expected", "sample"), SAMPLES, ids=[f"{n}:{s}" for n, s in SAMPLES])
def test_sample_is_won_by_its_route(expected: str, sample: routes.Sample) -> None:
    for headers in ({}, {"Authorization": "Bearer x"}):
        winner = TABLE.match(sample.method, sample.path, headers)
        assert winner is not None and winner.name == expected, f"{sample} went to {winner and winner.name}"


def test_every_service_and_route_has_samples() -> None:
    assert {route.service for route in TABLE} >= set(SERVICES)
    assert all(route.samples for route in TABLE)


def test_no_two_matching_routes_share_a_priority() -> None:
    """Ties are decided by Traefik's rule length, which nobody should have to reason about."""
    for route in TABLE:
        for sample in route.samples:
            matching = [r for r in TABLE if routes.evaluate(r.rule, sample.method, sample.path, {})]
            priorities = [r.priority for r in matching]
            assert priorities.count(max(priorities)) == 1, f"{sample}: {[r.name for r in matching]}"


@pytest.mark.parametrize("path", ["/_internal/verify", "/_internal/error/502", "/_internal/ready-all", "/metrics",
                                  "/metrics/", "/_internal", "/_internal/"])
@pytest.mark.parametrize("method", ["GET", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"])
def test_internal_paths_never_reach_a_service(method: str, path: str) -> None:
    winner = TABLE.match(method, path)
    assert winner is not None and winner.name == "gateway-internal"
    assert winner.replace_path == "/_internal/error/404"


@pytest.mark.parametrize("ident", ["publish", "report", "admins", "moderators", "sites", "memories", "comments"])
def test_legal_ids_that_look_like_actions(ident: str) -> None:
    assert TABLE.match("GET", f"/projects/{ident}").service == "data"
    assert TABLE.match("GET", f"/projects/p/sites/{ident}").service == "data"
    assert TABLE.match("PATCH", f"/projects/p/sites/{ident}").service == "data"
    assert TABLE.match("GET", f"/projects/p/sites/s/memories/{ident}").service == "data"
    assert TABLE.match("PATCH", f"/projects/{ident}").service == "admin"
    assert TABLE.match("POST", f"/projects/{ident}/sites/{ident}/publish").service == "admin"
    assert TABLE.match("PUT", f"/projects/{ident}/sites/{ident}/memories/{ident}/report").service == "admin"


def test_catch_all_is_lowest() -> None:
    fallback = TABLE.by_name("data-fallback")
    assert fallback.priority == min(route.priority for route in TABLE)
    assert TABLE.match("DELETE", "/anything/at/all").name == "data-fallback"


@pytest.mark.parametrize("raw", [
    {"routes": [{"name": "x", "service": "nowhere", "rule": "Path(`/`)", "priority": 1}]},
    {"routes": [{"name": "x", "service": "data", "rule": "Path(`/`)", "priority": 0}]},
    {"routes": [{"name": "x", "service": "data", "rule": "Host(`a`)", "priority": 1}]},
    {"routes": [{"name": "x", "service": "data", "rule": "Path(`/`)", "priority": 1},
                {"name": "x", "service": "data", "rule": "Path(`/a`)", "priority": 2}]},
    {"routes": [{"name": "x", "service": "data", "rule": "Path(`/`)", "priority": 1, "typo": True}]},
])
def test_malformed_tables_are_refused(raw: dict) -> None:
    with pytest.raises(RouteTableError):
        routes.parse(raw)


def test_rule_evaluator() -> None:
    rule = "(Method(`PATCH`) || Method(`DELETE`)) && PathRegexp(`^/p/[^/]+$`) && !HeaderRegexp(`Authorization`, `.+`)"
    assert routes.evaluate(rule, "PATCH", "/p/x", {})
    assert not routes.evaluate(rule, "GET", "/p/x", {})
    assert not routes.evaluate(rule, "DELETE", "/p/x/y", {})
    assert not routes.evaluate(rule, "DELETE", "/p/x", {"authorization": "Bearer t"})
    assert isinstance(TABLE, RouteTable)


def _service_operations() -> list[tuple[str, str, str]]:
    import importlib

    settings = Settings(redis_url="redis://127.0.0.1:6379/0")
    found = []
    for name in SERVICES:
        app = importlib.import_module(f"muistot_{name}.app").create_app(settings)
        for path, operations in app.openapi()["paths"].items():
            found.extend((name, method.upper(), path) for method in operations)
    return found


@pytest.mark.parametrize(("service", "method", "path"), _service_operations())
def test_every_documented_operation_is_routed_to_its_service(service: str, method: str, path: str) -> None:
    """A new endpoint in a service is reachable through the gateway (or the table must change)."""
    for value in ("x1", "publish", "report"):
        concrete = re.sub(r"\{[^}]+\}", value, path)
        winner = TABLE.match(method, concrete)
        assert winner is not None and winner.service == service, f"{method} {concrete} goes to {winner and winner.name}"
