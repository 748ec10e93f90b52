"""Prometheus metrics per service, served on `/metrics` (never routed by the gateway)."""

from __future__ import annotations

from typing import Any

from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Counter, Histogram, generate_latest
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import Scope

REGISTRY = CollectorRegistry(auto_describe=True)
REQUESTS = Counter("muistot_http_requests_total", "HTTP requests", ["service", "method", "route", "status"],
                   registry=REGISTRY)
LATENCY = Histogram("muistot_http_request_seconds", "HTTP request latency", ["service", "method", "route"],
                    registry=REGISTRY,
                    buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5))
CACHE_LOOKUPS = Counter("muistot_response_cache_total", "Anonymous reads answered from the cache (hit) or built (miss)",
                        ["result"], registry=REGISTRY)
BACKEND_ERRORS = Counter("muistot_backend_errors_total", "Errors talking to MariaDB or Redis", ["service", "backend"],
                         registry=REGISTRY)


def route_of(scope: Scope) -> str:
    # The router records the matched route in the (shared) scope; templates keep label sets small.
    route = scope.get("route")
    return getattr(route, "path", "unmatched") if route is not None else "unmatched"


class RequestMetrics:
    """Counts and times one service's requests. The labelled children are looked up once per label set
    (route templates keep those few), not on every request."""

    def __init__(self, service: str) -> None:
        self.service = service
        self._children: dict[tuple[str, str, int], tuple[Any, Any]] = {}

    def record(self, method: str, route: str, status: int, seconds: float) -> None:
        children = self._children.get((method, route, status))
        if children is None:
            children = (REQUESTS.labels(self.service, method, route, str(status)),
                        LATENCY.labels(self.service, method, route))
            self._children[(method, route, status)] = children
        children[0].inc()
        children[1].observe(seconds)
        if status == 503:
            BACKEND_ERRORS.labels(self.service, "db_or_redis").inc()


async def metrics_endpoint(_: Request) -> Response:
    return Response(generate_latest(REGISTRY), media_type=CONTENT_TYPE_LATEST)
