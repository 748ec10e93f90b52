"""Kubernetes resources for the gateway (Traefik CRDs), from the same model as the local config.

`resources(table, options)` returns the documents: one `Middleware` per middleware, a
`TraefikService` that spreads the JSON error pages over the four services, the public
`IngressRoute` (entry point `web`) and the internal one (entry point `internal`: the ForwardAuth
hop and the error pages), in that order.
"""

from __future__ import annotations

from typing import Any

from muistot.settings import SERVICES
from muistot_tooling.gateway import model
from muistot_tooling.gateway.routes import RouteTable

API_VERSION = "traefik.io/v1alpha1"
SERVICE_PORT = 8000
INTERNAL_PORT = 8082
ERROR_BACKENDS = "muistot-error-backends"


def options_for_k8s(cors_origins: tuple[str, ...] = ("*",), trusted_ips: tuple[str, ...] = (),
                    anonymous_fast_path: bool = True, root_path: str = "") -> model.GatewayOptions:
    # No failover to the error page: a TraefikService cannot declare one. Kubernetes takes a pod whose
    # readinessProbe (/ready) fails out of its Service, and the gateway balances over the ready ones.
    return model.GatewayOptions(cors_origins=cors_origins, trusted_ips=trusted_ips,
                                verify_address=f"http://127.0.0.1:{INTERNAL_PORT}{model.VERIFY_PATH}",
                                anonymous_fast_path=anonymous_fast_path, root_path=root_path,
                                unavailable_fallback=False)


def service_ref(service: str, port: int = SERVICE_PORT) -> dict[str, Any]:
    """An IngressRoute/Middleware service reference for a logical service name."""
    if service in SERVICES:
        return {"name": service, "port": port}
    if service in ("errors", "error-backends"):
        # Kubernetes drops unready pods from a Service, so the pool needs no retry hop here.
        return {"name": ERROR_BACKENDS, "kind": "TraefikService"}
    return {"name": service, "kind": "TraefikService"}


def _meta(name: str, namespace: str) -> dict[str, Any]:
    return {"name": name, "namespace": namespace, "labels": {"app.kubernetes.io/part-of": "muistot"}}


def _middleware(name: str, spec: dict[str, Any], namespace: str) -> dict[str, Any]:
    if "errors" in spec:
        errors = dict(spec["errors"])
        errors["service"] = service_ref(errors["service"])
        spec = {"errors": errors}
    return {"apiVersion": API_VERSION, "kind": "Middleware", "metadata": _meta(name, namespace), "spec": spec}


def _route(router: model.RouterSpec) -> dict[str, Any]:
    route: dict[str, Any] = {"kind": "Rule", "match": router.rule, "priority": router.priority,
                             "services": [service_ref(router.service)]}
    if router.middlewares:
        route["middlewares"] = [{"name": name} for name in router.middlewares]
    return route


def resources(table: RouteTable, options: model.GatewayOptions | None = None,
              namespace: str = "muistot") -> list[dict[str, Any]]:
    options = options or options_for_k8s()
    gateway = model.build(table, options)
    docs: list[dict[str, Any]] = [_middleware(name, spec, namespace) for name, spec in gateway.middlewares.items()]
    docs.append({"apiVersion": API_VERSION, "kind": "TraefikService", "metadata": _meta(ERROR_BACKENDS, namespace),
                 "spec": {"weighted": {"services": [{"name": name, "port": SERVICE_PORT, "weight": 1}
                                                    for name in SERVICES]}}})
    for entrypoint, name in ((model.WEB, "muistot"), (model.INTERNAL, "muistot-internal")):
        routes = [_route(router) for router in gateway.routers if router.entrypoint == entrypoint]
        docs.append({"apiVersion": API_VERSION, "kind": "IngressRoute", "metadata": _meta(name, namespace),
                     "spec": {"entryPoints": [entrypoint], "routes": routes}})
    return docs
