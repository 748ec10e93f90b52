"""The three renderings of the gateway (local file config, compose labels, Kubernetes CRDs) agree
route for route with the routing table, and carry the same middleware chains."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from muistot.settings import SERVICES, Settings
from muistot_tooling.gateway import compose, k8s, model, traefik_file
from muistot_tooling.gateway.routes import evaluate, load

TABLE = load()
Key = tuple[str, str, int, str, tuple[str, ...]]  # entry point, rule, priority, logical service, middlewares

FILE_SERVICES = {traefik_file.service_name(s): s for s in (*SERVICES, "errors", "error-backends", "ping@internal")}
COMPOSE_SERVICES = {compose.service_name(s): s for s in (*SERVICES, "errors", "error-backends", "ping@internal")}


def expected(options: model.GatewayOptions) -> list[Key]:
    routers = model.build(TABLE, options).routers
    return sorted((r.entrypoint, r.rule, r.priority, _comparable(r.service), r.middlewares) for r in routers)


def _comparable(service: str) -> str:
    # Kubernetes sends the error pages straight to the pool (unready pods leave a Service by themselves).
    return "errors" if service == "error-backends" else service


def settings(tmp_path: Path) -> Settings:
    return Settings(var_dir=tmp_path, gateway_port=15600, login_port=15611, users_port=15612, admin_port=15613,
                    data_port=15614, metrics_port=15690, cors_origins="https://a.example,https://b.example",
                    redis_url="redis://127.0.0.1:6379/0")


def from_file(tmp_path: Path) -> tuple[list[Key], dict]:
    rendered = traefik_file.render(settings(tmp_path), TABLE, directory=tmp_path / "gateway")
    dynamic = yaml.safe_load(rendered.dynamic.read_text())
    keys = sorted((r["entryPoints"][0], r["rule"], r["priority"], _comparable(FILE_SERVICES[r["service"]]),
                   tuple(r.get("middlewares", ()))) for r in dynamic["http"]["routers"].values())
    return keys, dynamic


def from_compose(options: model.GatewayOptions) -> list[Key]:
    routers: dict[str, dict[str, str]] = {}
    for labels in compose.yaml_labels(TABLE, options).values():
        for label in labels:
            key, _, value = label.replace("$$", "$").partition("=")
            parts = key.split(".")
            if parts[:3] == ["traefik", "http", "routers"]:
                routers.setdefault(parts[3], {})[parts[4]] = value
    return sorted((r["entrypoints"], r["rule"], int(r["priority"]), _comparable(COMPOSE_SERVICES[r["service"]]),
                   tuple(r["middlewares"].split(",")) if r.get("middlewares") else ()) for r in routers.values())


def from_k8s(options: model.GatewayOptions) -> list[Key]:
    keys = []
    for doc in k8s.resources(TABLE, options):
        if doc["kind"] != "IngressRoute":
            continue
        (entrypoint,) = doc["spec"]["entryPoints"]
        for route in doc["spec"]["routes"]:
            (ref,) = route["services"]
            service = ref["name"] if ref.get("kind") != "TraefikService" or "@" in ref["name"] else "errors"
            keys.append((entrypoint, route["match"], route["priority"], service,
                         tuple(m["name"] for m in route.get("middlewares", ()))))
    return sorted(keys)


def test_three_renderings_agree_route_for_route(tmp_path: Path) -> None:
    file_keys, _ = from_file(tmp_path)
    local = traefik_file.options_from(settings(tmp_path))
    assert file_keys == expected(local)
    assert from_compose(compose.options_for_compose()) == expected(compose.options_for_compose())
    assert from_k8s(k8s.options_for_k8s()) == expected(k8s.options_for_k8s())
    # The address of the ForwardAuth hop differs; the routers do not, but for the fallback to the JSON 503
    # page that Kubernetes has no failover service for.
    assert expected(local) == expected(compose.options_for_compose())
    assert [key for key in expected(local) if key[1] != model.UNAVAILABLE_RULE] == expected(k8s.options_for_k8s())


def test_every_table_route_is_rendered(tmp_path: Path) -> None:
    _, dynamic = from_file(tmp_path)
    routers = dynamic["http"]["routers"]
    for route in TABLE:
        assert route.name in routers
        assert route.rule in routers[route.name]["rule"]


def test_middleware_chain_order(tmp_path: Path) -> None:
    _, dynamic = from_file(tmp_path)
    for name, router in dynamic["http"]["routers"].items():
        chain = router.get("middlewares", [])
        if router["service"] == "ping@internal" or router["entryPoints"] == ["internal"]:
            continue
        assert chain[:3] == [model.STRIP, model.CORS, model.ERRORS], name
        if model.AUTH in chain:
            assert chain.index(model.AUTH) == 3, name
            assert "HeaderRegexp(`Authorization`, `.+`)" in router["rule"] and "!HeaderRegexp" not in router["rule"]
        if name.endswith("-anonymous"):
            assert model.AUTH not in chain and "!HeaderRegexp(`Authorization`, `.+`)" in router["rule"]


def test_backend_routes_use_forward_auth(tmp_path: Path) -> None:
    _, dynamic = from_file(tmp_path)
    routers = dynamic["http"]["routers"]
    for route in TABLE:
        if route.auth and route.service in SERVICES:
            assert model.AUTH in routers[route.name]["middlewares"]


def test_local_middlewares_and_entry_points(tmp_path: Path) -> None:
    rendered = traefik_file.render(settings(tmp_path), TABLE, directory=tmp_path / "g")
    dynamic = yaml.safe_load(rendered.dynamic.read_text())
    static = yaml.safe_load(rendered.static.read_text())
    mws = dynamic["http"]["middlewares"]
    strip = mws[model.STRIP]["headers"]["customRequestHeaders"]
    assert strip["X-Muistot-Identity"] == "" and "X_Muistot_Identity" in strip and "X.Muistot.Identity" in strip
    cors = mws[model.CORS]["headers"]
    assert cors["accessControlAllowOriginList"] == ["https://a.example", "https://b.example"]
    assert {"Authorization", "Location", "X-Request-Id", "Retry-After"} <= set(cors["accessControlExposeHeaders"])
    assert {"Authorization", "Content-Type", "Content-Language", "Accept-Language", "Muistot-Language"} <= set(
        cors["accessControlAllowHeaders"])
    auth = mws[model.AUTH]["forwardAuth"]
    assert auth["address"] == "http://127.0.0.1:15690/_internal/verify"
    assert auth["authResponseHeaders"] == ["X-Muistot-Identity", "X-Request-Id"]
    assert auth["authRequestHeaders"] == ["Authorization", "X-Request-Id"]
    assert mws[model.ERRORS]["errors"]["statusRewrites"] == {"502": 503, "504": 503}
    assert static["entryPoints"]["web"]["address"] == "127.0.0.1:15600"
    assert static["entryPoints"]["internal"]["address"] == "127.0.0.1:15690"
    assert static["entryPoints"]["web"]["forwardedHeaders"]["trustedIPs"] == ["127.0.0.1/32", "::1/128"]
    assert static["ping"] == {"entryPoint": "web", "manualRouting": True}
    assert "accessLog" not in static
    assert static["providers"]["file"]["filename"] == str(rendered.dynamic)
    servers = dynamic["http"]["services"]["muistot-data-pool"]["loadBalancer"]["servers"]
    assert servers == [{"url": "http://127.0.0.1:15614"}]


def test_local_pools_list_every_instance_health_checked_behind_a_failover(tmp_path: Path) -> None:
    scaled = settings(tmp_path).model_copy(update={"scale": "data=3,login=2"})
    rendered = traefik_file.render(scaled, TABLE, directory=tmp_path / "g")
    services = yaml.safe_load(rendered.dynamic.read_text())["http"]["services"]
    pool = services["muistot-data-pool"]["loadBalancer"]
    assert pool["servers"] == [{"url": "http://127.0.0.1:15614"}, {"url": "http://127.0.0.1:15624"},
                               {"url": "http://127.0.0.1:15634"}]
    assert [s["url"] for s in services["muistot-login-pool"]["loadBalancer"]["servers"]] == [
        "http://127.0.0.1:15611", "http://127.0.0.1:15621"]
    assert [s["url"] for s in services["muistot-users-pool"]["loadBalancer"]["servers"]] == ["http://127.0.0.1:15612"]
    for name in SERVICES:
        assert services[f"muistot-{name}-pool"]["loadBalancer"]["healthCheck"]["path"] == "/ready"
        # Routers name the failover; with no healthy instance it answers from the JSON 503 page.
        assert services[f"muistot-{name}"] == {"failover": {"service": f"muistot-{name}-pool",
                                                            "fallback": "muistot-unavailable"}}
    assert services["muistot-unavailable"]["loadBalancer"]["servers"] == [
        {"url": "http://127.0.0.1:15690/_internal/unavailable", "preservePath": True}]
    # The error pages come from any live instance of any service.
    error_pool = services["muistot-error-backends"]["loadBalancer"]
    assert len(error_pool["servers"]) == 3 + 2 + 1 + 1
    assert error_pool["healthCheck"]["path"] == "/health"


def test_compose_labels_escape_dollars_and_skip_nothing_but_dotted_headers() -> None:
    labels = compose.yaml_labels(TABLE)
    everything = [label for items in labels.values() for label in items]
    assert all("$" not in label.replace("$$", "") for label in everything)
    assert any(label.endswith("customRequestHeaders.X-Muistot-Identity=") for label in labels["traefik"])
    assert "traefik.http.services.muistot-data-pool.loadbalancer.server.port=8000" in labels["data"]
    assert "traefik.http.services.muistot-data-pool.loadbalancer.healthcheck.path=/ready" in labels["data"]


def test_fast_path_off_renders_one_router_per_route() -> None:
    options = model.GatewayOptions(anonymous_fast_path=False)
    routers = model.build(TABLE, options).routers
    public = [r for r in routers if r.entrypoint == model.WEB]
    # A service route is its reads and its other methods; a gateway route stays one router.
    assert len(public) == sum(len(model.method_split(route.rule)) if route.service in SERVICES else 1
                              for route in TABLE)
    assert not any("HeaderRegexp" in r.rule for r in public)


@pytest.mark.parametrize("fast_path", [True, False])
@pytest.mark.parametrize("method", ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"])
def test_reads_are_retried_and_nothing_else(fast_path: bool, method: str) -> None:
    """Whatever path a request takes, the router it wins ends in `retry` exactly when it is GET or HEAD."""
    public = [r for r in model.build(TABLE, model.GatewayOptions(anonymous_fast_path=fast_path)).routers
              if r.entrypoint == model.WEB]
    for sample in (sample for route in TABLE for sample in route.samples):
        for headers in ({}, {"Authorization": "Bearer x"}):
            found = [r for r in public if evaluate(r.rule, method, sample.path, headers)]
            best = max(r.priority for r in found)
            (winner,) = [r for r in found if r.priority == best]
            if winner.service in SERVICES:
                assert (model.RETRY in winner.middlewares) == (method in model.READ_METHODS), (method, sample.path)
            else:
                assert model.RETRY not in winner.middlewares
