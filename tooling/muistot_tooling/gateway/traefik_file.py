"""Traefik configuration for local runs (`muistot-dev run`, system tests): services at 127.0.0.1:<port>.

`render(settings)` writes `traefik.yml` (static) and `dynamic.yml` (file provider) under
`<var_dir>/gateway/` and returns their paths.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from muistot.settings import SERVICES, Settings
from muistot_tooling.gateway import model
from muistot_tooling.gateway.routes import RouteTable, load

# Headers whose names alias another (`X_Muistot_Identity`, `X.Muistot.Identity`) are dropped, and
# paths with encoded slashes, backslashes or NULs are refused before routing.
ENTRYPOINT_HTTP: dict[str, Any] = {
    "aliasHeadersStrategy": "delete",
    "encodedCharacters": {"allowEncodedSlash": False, "allowEncodedBackSlash": False,
                          "allowEncodedNullCharacter": False},
}

# Local runs stop quickly: in-flight requests get two seconds.
LIFECYCLE: dict[str, Any] = {"lifeCycle": {"graceTimeOut": "2s"}}


@dataclass(frozen=True)
class RenderedGateway:
    static: Path
    dynamic: Path
    url: str


def options_from(settings: Settings, *, anonymous_fast_path: bool = True) -> model.GatewayOptions:
    return model.GatewayOptions(
        cors_origins=tuple(settings.cors_origin_list) or ("*",),
        trusted_ips=tuple(str(net) for net in settings.trusted_proxy_networks),
        verify_address=f"http://127.0.0.1:{settings.metrics_port}{model.VERIFY_PATH}",
        anonymous_fast_path=anonymous_fast_path,
        root_path=settings.root_path,
    )


def service_name(service: str) -> str:
    if "@" in service:
        return service
    return "muistot-error-pages" if service == "errors" else f"muistot-{service}"


def pool_name(service: str) -> str:
    """The load balancer over a service's instances (`muistot-<service>` is the failover in front of it)."""
    return f"muistot-{service}-pool"


UNAVAILABLE_SERVICE = "muistot-unavailable"


def health_check() -> dict[str, str]:
    return {"path": model.HEALTH_PATH, "interval": model.HEALTH_INTERVAL,
            "unhealthyInterval": model.HEALTH_UNHEALTHY_INTERVAL, "timeout": model.HEALTH_TIMEOUT}


def instance_urls(settings: Settings, service: str) -> list[str]:
    return [f"http://127.0.0.1:{port}" for port in settings.instance_ports(service)]


def service_pools(settings: Settings, options: model.GatewayOptions) -> dict[str, Any]:
    """Per service: every instance (`MUISTOT_SCALE`), health-checked on /ready, behind a failover to the
    JSON 503 page for when none is in the pool."""
    services: dict[str, Any] = {}
    for name in SERVICES:
        pool = {"loadBalancer": {"servers": [{"url": url} for url in instance_urls(settings, name)],
                                 "healthCheck": health_check()}}
        if options.unavailable_fallback:
            services[service_name(name)] = {"failover": {"service": pool_name(name), "fallback": UNAVAILABLE_SERVICE}}
            services[pool_name(name)] = pool
        else:
            services[service_name(name)] = pool
    if options.unavailable_fallback:
        # The request keeps its path under /_internal/unavailable, where `gateway-unavailable` answers it.
        services[UNAVAILABLE_SERVICE] = {"loadBalancer": {"servers": [
            {"url": f"http://127.0.0.1:{settings.metrics_port}{model.UNAVAILABLE_PATH}", "preservePath": True}]}}
    return services


def dynamic_config(table: RouteTable, settings: Settings, options: model.GatewayOptions) -> dict[str, Any]:
    gateway = model.build(table, options)
    routers = {
        router.name: {
            "entryPoints": [router.entrypoint],
            "rule": router.rule,
            "priority": router.priority,
            "service": service_name(router.service),
            **({"middlewares": list(router.middlewares)} if router.middlewares else {}),
        }
        for router in gateway.routers
    }
    services = service_pools(settings, options)
    # The JSON error pages: the errors middleware asks the internal entry point, which retries over
    # every instance of the four services; the health check (liveness only: an error page needs no
    # database) skips a dead one once noticed.
    services[service_name("errors")] = {"loadBalancer": {
        "servers": [{"url": f"http://127.0.0.1:{settings.metrics_port}"}]}}
    services[service_name("error-backends")] = {"loadBalancer": {
        "servers": [{"url": url} for name in SERVICES for url in instance_urls(settings, name)],
        "healthCheck": {"path": "/health", "interval": "2s", "unhealthyInterval": "500ms", "timeout": "1s"},
    }}
    middlewares = {name: _file_middleware(spec) for name, spec in gateway.middlewares.items()}
    return {"http": {"routers": routers, "services": services, "middlewares": middlewares}}


def _file_middleware(spec: dict[str, Any]) -> dict[str, Any]:
    if "errors" in spec:
        errors = dict(spec["errors"])
        errors["service"] = service_name(errors["service"])
        return {"errors": errors}
    return spec


def forwarding_timeouts(settings: Settings) -> dict[str, Any]:
    """How long the gateway waits for a service's answer; each service's own deadline ends first."""
    return {"forwardingTimeouts": {"responseHeaderTimeout": f"{settings.gateway_timeout:g}s"}}


def traefik_log_level(settings: Settings) -> str:
    return "ERROR" if settings.log_level.upper() in ("ERROR", "CRITICAL") else "WARN"


def static_config(settings: Settings, dynamic_path: Path, options: model.GatewayOptions) -> dict[str, Any]:
    return {
        "global": {"checkNewVersion": False, "sendAnonymousUsage": False},
        "serversTransport": forwarding_timeouts(settings),
        "entryPoints": {
            model.WEB: {
                "address": f"127.0.0.1:{settings.gateway_port}",
                "forwardedHeaders": {"trustedIPs": list(options.trusted_ips)},
                "http": ENTRYPOINT_HTTP,
                "transport": LIFECYCLE,
            },
            # Prometheus metrics, the ForwardAuth hop and the error pages; never published.
            # Only Traefik itself calls it: keep the client address ForwardAuth forwards.
            model.INTERNAL: {"address": f"127.0.0.1:{settings.metrics_port}", "transport": LIFECYCLE,
                             "forwardedHeaders": {"trustedIPs": ["127.0.0.1/32", "::1/128"]},
                             "http": ENTRYPOINT_HTTP},
        },
        "ping": {"entryPoint": model.WEB, "manualRouting": True},
        "metrics": {"prometheus": {"entryPoint": model.INTERNAL, "addRoutersLabels": True}},
        "providers": {"file": {"filename": str(dynamic_path), "watch": False}},
        # No access log: query strings carry one-time login tokens. Warnings say why an instance left its
        # pool ("Health check failed", once a second while it is down).
        "log": {"level": traefik_log_level(settings), "noColor": True},
    }


def render(settings: Settings, table: RouteTable | None = None, *, anonymous_fast_path: bool = True,
           directory: Path | None = None) -> RenderedGateway:
    table = table or load()
    options = options_from(settings, anonymous_fast_path=anonymous_fast_path)
    directory = directory or settings.var_dir.resolve() / "gateway"
    directory.mkdir(parents=True, exist_ok=True)
    dynamic = directory / "dynamic.yml"
    static = directory / "traefik.yml"
    header = "# Generated by muistot_tooling.gateway from gateway/routes.yaml: do not edit.\n"
    dynamic.write_text(header + yaml.safe_dump(dynamic_config(table, settings, options), sort_keys=False),
                       encoding="utf-8")
    static.write_text(header + yaml.safe_dump(static_config(settings, dynamic, options), sort_keys=False),
                      encoding="utf-8")
    return RenderedGateway(static=static, dynamic=dynamic, url=f"http://127.0.0.1:{settings.gateway_port}")
