"""The compose labels and the Kubernetes IngressRoute carry exactly the routes of gateway/routes.yaml.

Read straight from the committed files (not from the renderers) and compared route for route with
the table: rule, priority, target service, the ForwardAuth hop where the table asks for one, and the
retry middleware on the routers of reads (GET/HEAD) only.
"""

from __future__ import annotations

import copy
from collections import defaultdict
from typing import Any

import pytest

from muistot.settings import SERVICES
from muistot_tooling.gateway import model, routes

TABLE = routes.load()
WEB_CHAIN = (model.STRIP, model.CORS)
# Traefik service names in the compose labels / Kubernetes service references → table service.
COMPOSE_SERVICES = {**{f"muistot-{name}@file": name for name in SERVICES}, "muistot-error-pages": "errors",
                    "ping@internal": "ping@internal"}
K8S_SERVICES = {**{name: name for name in SERVICES}, "muistot-error-backends": "errors",
                "ping@internal": "ping@internal"}

Router = dict[str, Any]  # rule, priority, service, middlewares


def _peel(rule: str, suffixes: tuple[tuple[str, str], ...], default: str) -> tuple[str, str]:
    for suffix, kind in suffixes:
        if rule.startswith("(") and rule.endswith(")" + suffix):
            return rule[1:-len(suffix) - 1], kind
    return rule, default


def unwrap(rule: str) -> tuple[str, str, str]:
    """(the table's rule, 'any' | 'authenticated' | 'anonymous', 'all' | 'read' | 'write') of a rendered rule."""
    rule, kind = _peel(rule, ((f" && {model.AUTHENTICATED}", "authenticated"), (f" && {model.ANONYMOUS}", "anonymous")),
                       "any")
    rule, methods = _peel(rule, ((f" && ({model.READS})", "read"), (f" && !({model.READS})", "write")), "all")
    return rule, kind, methods


def route_problems(routers: list[Router]) -> list[str]:
    """Compare rendered public routers with the table; [] when they carry exactly its routes."""
    by_rule: dict[tuple[str, int, str], list[Router]] = defaultdict(list)
    problems = []
    for router in routers:
        rule, kind, methods = unwrap(router["rule"])
        by_rule[(rule, router["priority"], router["service"])].append({**router, "kind": kind, "methods": methods})
    expected = {(route.rule, route.priority, route.service): route for route in TABLE}
    for key in sorted(set(by_rule) - set(expected)):
        problems.append(f"not in the table: {key[0]} (priority {key[1]}, {key[2]})")
    for key, route in expected.items():
        found = by_rule.get(key)
        if not found:
            problems.append(f"{route.name}: missing (or another rule, priority or service)")
            continue
        kinds = sorted((router["methods"], router["kind"]) for router in found)
        auth_kinds = (["any"], ["anonymous", "authenticated"])
        method_kinds = (["all"], ["read", "write"]) if route.service in SERVICES else (["all"],)
        if kinds not in [sorted((m, a) for m in ms for a in auths) for ms in method_kinds for auths in auth_kinds]:
            problems.append(f"{route.name}: rendered as {kinds}, which leaves requests unrouted or doubled")
        split = model.method_split(route.rule)
        for router in found:
            chain = tuple(router["middlewares"])
            if route.service == "ping@internal":
                continue
            if chain[:2] != WEB_CHAIN:
                problems.append(f"{route.name}: identity stripping and CORS do not come first")
            wants_auth = route.auth and route.service in SERVICES and router["kind"] != "anonymous"
            if (model.AUTH in chain) != wants_auth:
                problems.append(f"{route.name}: ForwardAuth {'missing' if wants_auth else 'where the table has none'}")
            # Only reads are retried: a write that reached a dying instance is never sent again.
            wants_retry = route.service in SERVICES and (router["methods"] == "read" or split == [
                ("-read", route.rule, True)])
            if (model.RETRY in chain) != wants_retry:
                problems.append(f"{route.name}: {router['methods']} router {'without' if wants_retry else 'with'} "
                                "the retry middleware")
    return problems


def compose_routers(compose: dict[str, Any]) -> list[Router]:
    fields: dict[str, dict[str, str]] = defaultdict(dict)
    for service in compose["services"].values():
        for label in service.get("labels", []):
            key, _, value = label.partition("=")
            parts = key.split(".")
            if parts[:3] == ["traefik", "http", "routers"]:
                fields[parts[3]][parts[4]] = value
    return [{"rule": f["rule"], "priority": int(f["priority"]), "service": COMPOSE_SERVICES.get(f["service"], "?"),
             "middlewares": f.get("middlewares", "").split(",") if f.get("middlewares") else []}
            for f in fields.values() if f["entrypoints"] == model.WEB]


def k8s_routers(docs: list[dict[str, Any]]) -> list[Router]:
    route = next(doc for doc in docs if doc["kind"] == "IngressRoute" and doc["spec"]["entryPoints"] == [model.WEB])
    return [{"rule": r["match"], "priority": r["priority"], "service": K8S_SERVICES.get(r["services"][0]["name"], "?"),
             # The Kubernetes routes put the per-client rate limit ahead of the shared chain.
             "middlewares": [m["name"] for m in r.get("middlewares", []) if m["name"] != "muistot-ratelimit"]}
            for r in route["spec"]["routes"]]


def test_compose_labels_carry_exactly_the_routing_table(compose: dict[str, Any]) -> None:
    assert route_problems(compose_routers(compose)) == []


@pytest.mark.parametrize("overlay", ["base", "dev"])
def test_ingressroute_carries_exactly_the_routing_table(builds, overlay: str) -> None:
    assert route_problems(k8s_routers(builds[overlay])) == []


def test_compose_routers_target_the_containers_that_carry_them(compose: dict[str, Any]) -> None:
    for name in SERVICES:
        for label in compose["services"][name]["labels"]:
            if label.startswith("traefik.http.routers.") and ".service=" in label:
                assert label.endswith(f"=muistot-{name}@file"), label


def test_forward_auth_reaches_login_through_the_internal_entry_point(compose, builds) -> None:
    labels = compose["services"]["traefik"]["labels"]
    address = next(label for label in labels if "forwardAuth.address=" in label).split("=", 1)[1]
    assert address == f"http://127.0.0.1:8082{model.VERIFY_PATH}"
    assert "--entryPoints.internal.address=:8082" in compose["services"]["traefik"]["command"]
    assert f"traefik.http.routers.gateway-verify.rule=Path(`{model.VERIFY_PATH}`)" in compose["services"]["login"][
        "labels"]
    response_headers = next(label for label in labels if "authResponseHeaders=" in label).split("=", 1)[1]
    assert response_headers.split(",") == ["X-Muistot-Identity", "X-Request-Id"]
    internal = next(doc for doc in builds["base"] if doc["kind"] == "IngressRoute"
                    and doc["spec"]["entryPoints"] == [model.INTERNAL])
    verify = next(r for r in internal["spec"]["routes"] if r["match"] == f"Path(`{model.VERIFY_PATH}`)")
    assert verify["services"] == [{"name": "login", "port": 8000}]


def _compose_with(compose: dict[str, Any], service: str, old: str, new: str) -> dict[str, Any]:
    changed = copy.deepcopy(compose)
    labels = changed["services"][service]["labels"]
    index = next(i for i, label in enumerate(labels) if label.startswith(old))
    if new:
        labels[index] = new + labels[index][len(old):]
    else:
        del labels[index]
    return changed


# One of the four routers of a route (reads and the rest, each with and without a token) changed.
UNROUTED = ("rendered as [('read', 'anonymous'), ('read', 'authenticated'), ('write', 'anonymous')], which leaves "
            "requests unrouted or doubled")


@pytest.mark.parametrize(("service", "old", "new", "problems"), [
    ("users", "traefik.http.routers.users-me.priority=500", "traefik.http.routers.users-me.priority=50",
     ["not in the table: PathRegexp(`^/me(/.*)?$`) (priority 50, users)", f"users-me: {UNROUTED}"]),
    ("data", "traefik.http.routers.data-fallback.service=muistot-data",
     "traefik.http.routers.data-fallback.service=muistot-admin",
     ["not in the table: PathPrefix(`/`) (priority 1, admin)", f"data-fallback: {UNROUTED}"]),
    ("login", "traefik.http.routers.login-auth.middlewares=", "",
     ["login-auth: identity stripping and CORS do not come first", "login-auth: ForwardAuth missing"]),
])
def test_route_check_rejects_a_broken_compose_label(compose, service: str, old: str, new: str,
                                                     problems: list[str]) -> None:
    assert route_problems(compose_routers(_compose_with(compose, service, old, new))) == problems


def test_route_check_rejects_a_changed_rule(compose) -> None:
    changed = _compose_with(compose, "admin", "traefik.http.routers.admin-report.rule=",
                            "traefik.http.routers.admin-report.rule=Path(`/x`) || ")
    problems = route_problems(compose_routers(changed))
    assert problems[-1] == f"admin-report: {UNROUTED}"
    assert problems[0].startswith("not in the table: Path(`/x`) || ((PathRegexp(")


@pytest.mark.parametrize(("router", "change", "problem"), [
    ("data-projects", lambda chain: f"{chain},{model.RETRY}", "data-projects: write router with the retry middleware"),
    ("data-projects-read-anonymous", lambda chain: chain.replace(f",{model.RETRY}", ""),
     "data-projects: read router without the retry middleware"),
])
def test_route_check_rejects_a_retried_write_and_an_unretried_read(compose, router: str, change, problem: str) -> None:
    changed = copy.deepcopy(compose)
    labels = changed["services"]["data"]["labels"]
    key = f"traefik.http.routers.{router}.middlewares="
    index = next(i for i, label in enumerate(labels) if label.startswith(key))
    labels[index] = key + change(labels[index][len(key):])
    assert route_problems(compose_routers(changed)) == [problem]


def test_route_check_rejects_a_dropped_or_extra_ingress_route(builds, mutate) -> None:
    def drop_users_and_add_metrics(doc: dict[str, Any]) -> None:
        doc["spec"]["routes"] = [r for r in doc["spec"]["routes"] if "/me" not in r["match"]]
        doc["spec"]["routes"].append({"kind": "Rule", "match": "Path(`/metrics`)", "priority": 2000,
                                      "services": [{"name": "data", "port": 8000}]})

    docs = [mutate(doc, drop_users_and_add_metrics) if doc["kind"] == "IngressRoute" else doc for doc in builds["base"]]
    problems = route_problems(k8s_routers(docs))
    assert "users-me: missing (or another rule, priority or service)" in problems
    assert "not in the table: Path(`/metrics`) (priority 2000, data)" in problems


def test_route_check_rejects_a_route_without_forward_auth(builds, mutate) -> None:
    def drop_auth(doc: dict[str, Any]) -> None:
        for route in doc["spec"]["routes"]:
            route["middlewares"] = [m for m in route.get("middlewares", []) if m["name"] != model.AUTH]

    docs = [mutate(doc, drop_auth) if doc["kind"] == "IngressRoute" else doc for doc in builds["base"]]
    assert "users-me: ForwardAuth missing" in route_problems(k8s_routers(docs))
