"""Docker compose labels for the gateway, from the same model as the local file config.

`labels(table, options)` maps each compose service (`login`, `users`, `admin`, `data`, `traefik`)
to its Traefik labels. Routers live on the container they send traffic to; the shared
middlewares and the error-page plumbing live on the Traefik container, whose `internal` entry
point (never published) serves the ForwardAuth hop and the error pages. Replicas of a service
(`--scale data=3`) carry identical labels, so Traefik merges them into one load balancer.

Each service's containers form the pool `muistot-<service>-pool`, health-checked on `/ready`. Docker
labels cannot declare a failover service, so the routers name `muistot-<service>@file`: a failover
from that pool to the JSON 503 page, declared in a small file-provider config (`file_config()`,
written to `deploy/docker/traefik-services.yml` and mounted into the Traefik container).

Write them into a compose file with `yaml_labels()`, which doubles `$` for compose interpolation.
"""

from __future__ import annotations

from typing import Any

from muistot.settings import SERVICES
from muistot_tooling.gateway import model
from muistot_tooling.gateway.routes import RouteTable

PREFIX = "traefik.http"
SERVICE_PORT = 8000
INTERNAL_PORT = 8082
UNAVAILABLE_SERVICE = "muistot-unavailable"


def options_for_compose(cors_origins: tuple[str, ...] = ("*",), trusted_ips: tuple[str, ...] = (),
                        anonymous_fast_path: bool = True, root_path: str = "") -> model.GatewayOptions:
    return model.GatewayOptions(cors_origins=cors_origins, trusted_ips=trusted_ips,
                                verify_address=f"http://127.0.0.1:{INTERNAL_PORT}{model.VERIFY_PATH}",
                                anonymous_fast_path=anonymous_fast_path, root_path=root_path)


def service_name(service: str) -> str:
    """The service a router names: for an API service, the failover of the file provider."""
    if "@" in service:
        return service
    if service in SERVICES:
        return f"muistot-{service}@file"
    return "muistot-error-pages" if service == "errors" else f"muistot-{service}"


def pool_name(service: str) -> str:
    return f"muistot-{service}-pool"


def file_config() -> dict[str, Any]:
    """The file-provider part: per service a failover from its containers to the JSON 503 page."""
    services: dict[str, Any] = {
        f"muistot-{name}": {"failover": {"service": f"{pool_name(name)}@docker", "fallback": UNAVAILABLE_SERVICE}}
        for name in SERVICES
    }
    # Traefik's own internal entry point, inside its container: `gateway-unavailable` answers there.
    services[UNAVAILABLE_SERVICE] = {"loadBalancer": {"servers": [
        {"url": f"http://127.0.0.1:{INTERNAL_PORT}{model.UNAVAILABLE_PATH}", "preservePath": True}]}}
    return {"http": {"services": services}}


def _flatten(prefix: str, value: Any) -> list[str]:
    if isinstance(value, dict):
        out = []
        for key, item in value.items():
            if "." in str(key):
                # A label key cannot hold a dot; the entry point's aliasHeadersStrategy drops those headers.
                continue
            out.extend(_flatten(f"{prefix}.{key}", item))
        return out
    if isinstance(value, list | tuple):
        return [f"{prefix}={','.join(str(item) for item in value)}"]
    if isinstance(value, bool):
        return [f"{prefix}={'true' if value else 'false'}"]
    return [f"{prefix}={value}"]


def _middleware_labels(name: str, spec: dict[str, Any]) -> list[str]:
    if "errors" in spec:
        spec = {"errors": {**spec["errors"], "service": service_name(spec["errors"]["service"])}}
    return _flatten(f"{PREFIX}.middlewares.{name}", spec)


def _router_labels(router: model.RouterSpec) -> list[str]:
    base = f"{PREFIX}.routers.{router.name}"
    out = [f"{base}.entrypoints={router.entrypoint}", f"{base}.rule={router.rule}",
           f"{base}.priority={router.priority}", f"{base}.service={service_name(router.service)}"]
    if router.middlewares:
        out.append(f"{base}.middlewares={','.join(router.middlewares)}")
    return out


def labels(table: RouteTable, options: model.GatewayOptions | None = None) -> dict[str, list[str]]:
    options = options or options_for_compose()
    gateway = model.build(table, options)
    out: dict[str, list[str]] = {name: ["traefik.enable=true"] for name in (*SERVICES, "traefik")}
    for name in SERVICES:
        pool = f"{PREFIX}.services.{pool_name(name)}.loadbalancer"
        out[name] += [
            f"{pool}.server.port={SERVICE_PORT}",
            # A replica is in the pool while its /ready answers (MariaDB and Redis reachable).
            f"{pool}.healthcheck.path={model.HEALTH_PATH}",
            f"{pool}.healthcheck.interval={model.HEALTH_INTERVAL}",
            f"{pool}.healthcheck.unhealthyinterval={model.HEALTH_UNHEALTHY_INTERVAL}",
            f"{pool}.healthcheck.timeout={model.HEALTH_TIMEOUT}",
            # Every service answers the JSON error pages; identical labels merge into one pool.
            f"{PREFIX}.services.muistot-error-backends.loadbalancer.server.port={SERVICE_PORT}",
            f"{PREFIX}.services.muistot-error-backends.loadbalancer.healthcheck.path=/health",
            f"{PREFIX}.services.muistot-error-backends.loadbalancer.healthcheck.interval=2s",
        ]
    out["traefik"].append(f"{PREFIX}.services.muistot-error-pages.loadbalancer.server.port={INTERNAL_PORT}")
    for router in gateway.routers:
        owner = router.service if router.service in SERVICES else "traefik"
        out[owner] += _router_labels(router)
    for name, spec in gateway.middlewares.items():
        out["traefik"] += _middleware_labels(name, spec)
    return out


def yaml_labels(table: RouteTable, options: model.GatewayOptions | None = None) -> dict[str, list[str]]:
    """The labels as they go into a compose file: `$` doubled so compose does not interpolate it."""
    return {name: [label.replace("$", "$$") for label in items] for name, items in labels(table, options).items()}
