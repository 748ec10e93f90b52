"""The gateway under a path prefix (`MUISTOT_ROOT_PATH`, docs/api.md "Requests"): every route of the
table answers under the prefix and nowhere else, the prefix is stripped before a service sees the
request, and the three renderings agree."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from muistot.settings import SERVICES, ConfigError, Settings
from muistot_tooling.gateway import compose, k8s, model, traefik_file
from muistot_tooling.gateway.root_path import prefixed
from muistot_tooling.gateway.routes import RouteTableError, evaluate, load

TABLE = load()
ROOT = "/api"
OPTIONS = model.GatewayOptions(root_path=ROOT)
GATEWAY = model.build(TABLE, OPTIONS)
PUBLIC = [router for router in GATEWAY.routers if router.entrypoint == model.WEB]
SAMPLES = [(route.name, sample) for route in TABLE for sample in route.samples]
AUTHORIZED = {"Authorization": "Bearer x"}


def winner(method: str, path: str, headers: dict[str, str] | None = None) -> model.RouterSpec:
    """The public router Traefik would pick: the highest priority among the matching rules."""
    found = [router for router in PUBLIC if evaluate(router.rule, method, path, headers or {})]
    assert found, f"{method} {path} matches no router"
    best = max(router.priority for router in found)
    top = [router for router in found if router.priority == best]
    assert len(top) == 1, f"{method} {path}: {[router.name for router in top]} tie"
    return top[0]


# --- the setting -----------------------------------------------------------------------------------

@pytest.mark.parametrize("value", ["", "/api", "/muistot/api", "/v1.2", "/a_b-c~d"])
def test_good_root_paths_pass(value: str) -> None:
    Settings(root_path=value, redis_url="redis://127.0.0.1:6379/0").check()


@pytest.mark.parametrize("value", ["/", "api", "/api/", "/a//b", "/a b", "/..", "/api?x=1", "/ä", "/a/./b"])
def test_bad_root_paths_are_one_line_config_errors(value: str) -> None:
    with pytest.raises(ConfigError) as error:
        Settings(root_path=value, redis_url="redis://127.0.0.1:6379/0").check()
    message = str(error.value)
    assert message.startswith("MUISTOT_ROOT_PATH") and "\n" not in message


def test_bad_root_path_is_refused_by_the_renderers_too() -> None:
    with pytest.raises(ValueError):
        model.GatewayOptions(root_path="/api/")


def test_unanchored_regexp_cannot_be_prefixed() -> None:
    with pytest.raises(RouteTableError):
        prefixed("PathRegexp(`/x`)", ROOT)


# --- routing under the prefix ---------------------------------------------------------------------

@pytest.mark.parametrize(("expected", "sample"), SAMPLES, ids=[f"{n}:{s}" for n, s in SAMPLES])
def test_sample_under_the_prefix_is_won_by_its_route(expected: str, sample) -> None:
    for headers in ({}, AUTHORIZED):
        assert winner(sample.method, ROOT + sample.path, headers).route == expected


@pytest.mark.parametrize(("expected", "sample"), SAMPLES, ids=[f"{n}:{s}" for n, s in SAMPLES])
def test_sample_without_the_prefix_is_the_json_404(expected: str, sample) -> None:
    """No route is left unprefixed, except the gateway's own health answer."""
    for headers in ({}, AUTHORIZED):
        router = winner(sample.method, sample.path, headers)
        if expected == "gateway-health":
            assert router.route == "gateway-health"
        else:
            assert router.route == model.OUTSIDE_ROOT
            assert router.service == "errors" and router.middlewares[-1] == f"muistot-{model.OUTSIDE_ROOT}-path"


@pytest.mark.parametrize(("path", "route"), [
    ("/api", "data-common"), ("/api/", "data-common"), ("/api/nowhere", "data-fallback"),
    ("/apix", model.OUTSIDE_ROOT), ("/apix/projects", model.OUTSIDE_ROOT), ("/", model.OUTSIDE_ROOT),
    ("/health", "gateway-health"), ("/api/health", "gateway-health"),
    ("/api/_internal/verify", "gateway-internal"), ("/_internal/verify", model.OUTSIDE_ROOT),
    ("/metrics", model.OUTSIDE_ROOT), ("/api/metrics", "gateway-internal"),
    ("/api/api/projects", "data-fallback"),
])
def test_edges_of_the_prefix(path: str, route: str) -> None:
    assert winner("GET", path).route == route


def test_prefix_with_a_dot_is_literal_in_regexps() -> None:
    gateway = model.build(TABLE, model.GatewayOptions(root_path="/v1.2"))
    me = gateway.router("users-me-read-anonymous")
    assert evaluate(me.rule, "GET", "/v1.2/me", {})
    assert not evaluate(me.rule, "GET", "/v1x2/me", {})


def test_every_public_router_strips_the_prefix_after_the_identity_headers() -> None:
    assert GATEWAY.middlewares[model.STRIP_ROOT] == {"stripPrefix": {"prefixes": [ROOT]}}
    for router in PUBLIC:
        if router.service == "ping@internal":
            assert router.middlewares == ()
        elif router.route == model.OUTSIDE_ROOT:
            assert model.STRIP_ROOT not in router.middlewares
            assert router.middlewares[0] == model.STRIP
        else:
            assert router.middlewares[:2] == (model.STRIP, model.STRIP_ROOT), router.name
            assert router.middlewares.index(model.CORS) > 1


def test_internal_entry_point_is_not_prefixed() -> None:
    internal = [router for router in GATEWAY.routers if router.entrypoint == model.INTERNAL]
    assert {router.name for router in internal} == {"gateway-verify", "gateway-error-pages", "gateway-unavailable"}
    assert all(ROOT not in router.rule for router in internal)
    assert GATEWAY.middlewares[model.ERRORS]["errors"]["query"] == model.ERROR_QUERY


def test_without_a_prefix_nothing_changes() -> None:
    plain = model.build(TABLE, model.GatewayOptions(anonymous_fast_path=False))
    assert model.STRIP_ROOT not in plain.middlewares
    public = [router for router in plain.routers if router.entrypoint == model.WEB]
    assert [(router.name, router.rule) for router in public] == [
        (route.name + suffix, rule) for route in TABLE
        for suffix, rule, _ in (model.method_split(route.rule) if route.service in SERVICES else [("", route.rule, 0)])]


# --- the three renderings --------------------------------------------------------------------------

Key = tuple[str, str, int, tuple[str, ...]]  # entry point, rule, priority, middlewares


def expected(options: model.GatewayOptions) -> list[Key]:
    return sorted((r.entrypoint, r.rule, r.priority, r.middlewares) for r in model.build(TABLE, options).routers)


def test_local_file_config_carries_the_prefix(tmp_path: Path) -> None:
    settings = Settings(var_dir=tmp_path, root_path=ROOT, redis_url="redis://127.0.0.1:6379/0")
    rendered = traefik_file.render(settings, TABLE, directory=tmp_path / "gateway")
    dynamic = yaml.safe_load(rendered.dynamic.read_text())
    routers = dynamic["http"]["routers"]
    keys = sorted((r["entryPoints"][0], r["rule"], r["priority"], tuple(r.get("middlewares", ())))
                  for r in routers.values())
    assert keys == expected(traefik_file.options_from(settings))
    assert dynamic["http"]["middlewares"][model.STRIP_ROOT] == {"stripPrefix": {"prefixes": [ROOT]}}
    outside = routers[model.OUTSIDE_ROOT]
    assert outside["service"] == traefik_file.service_name("errors")
    assert dynamic["http"]["middlewares"][outside["middlewares"][-1]] == {
        "replacePath": {"path": "/_internal/error/404"}}


def test_compose_labels_carry_the_prefix() -> None:
    options = compose.options_for_compose(root_path=ROOT)
    labels = compose.labels(TABLE, options)
    routers: dict[str, dict[str, str]] = {}
    for items in labels.values():
        for label in items:
            key, _, value = label.partition("=")
            parts = key.split(".")
            if parts[:3] == ["traefik", "http", "routers"]:
                routers.setdefault(parts[3], {})[parts[4]] = value
    keys = sorted((r["entrypoints"], r["rule"], int(r["priority"]),
                   tuple(r["middlewares"].split(",")) if r.get("middlewares") else ()) for r in routers.values())
    assert keys == expected(options)
    assert f"traefik.http.middlewares.{model.STRIP_ROOT}.stripPrefix.prefixes={ROOT}" in labels["traefik"]
    assert any(label.startswith(f"traefik.http.routers.{model.OUTSIDE_ROOT}.") for label in labels["traefik"])
    for service in SERVICES:  # the routers on a service's own container all sit under the prefix
        web = [name for name, router in routers.items() if router["entrypoints"] == model.WEB
               and f"traefik.http.routers.{name}.rule={router['rule']}" in labels[service]]
        assert web and all(ROOT in routers[name]["rule"] for name in web)


def test_k8s_ingress_route_carries_the_prefix() -> None:
    options = k8s.options_for_k8s(root_path=ROOT)
    docs = k8s.resources(TABLE, options)
    strip = next(doc for doc in docs if doc["kind"] == "Middleware" and doc["metadata"]["name"] == model.STRIP_ROOT)
    assert strip["spec"] == {"stripPrefix": {"prefixes": [ROOT]}}
    keys = []
    for doc in docs:
        if doc["kind"] == "IngressRoute":
            (entrypoint,) = doc["spec"]["entryPoints"]
            keys += [(entrypoint, route["match"], route["priority"],
                      tuple(m["name"] for m in route.get("middlewares", ()))) for route in doc["spec"]["routes"]]
    assert sorted(keys) == expected(options)
