"""Prometheus metrics per service, served on `/metrics` (never routed by the gateway)."""

from __future__ import annotations

import time

from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Counter, Histogram, generate_latest
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

REGISTRY = CollectorRegistry(auto_describe=True)
REQUESTS = Counter("muistot_http_requests_total", "HTTP requests", ["service", "method", "route", "status"],
                   registry=REGISTRY)
LATENCY = Histogram("muistot_http_request_seconds", "HTTP request latency", ["service", "method", "route"],
                    registry=REGISTRY,
                    buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5))
BACKEND_ERRORS = Counter("muistot_backend_errors_total", "Errors talking to MariaDB or Redis", ["service", "backend"],
                         registry=REGISTRY)


def _route_of(scope: Scope) -> str:
    # The router records the matched route in the (shared) scope; templates keep label sets small.
    route = scope.get("route")
    return getattr(route, "path", "unmatched") if route is not None else "unmatched"


class MetricsMiddleware:
    def __init__(self, app: ASGIApp, service: str) -> None:
        self.app = app
        self.service = service

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope.get("path") == "/metrics":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = 500

        async def capture(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, capture)
        finally:
            route = _route_of(scope)
            method = scope.get("method", "")
            REQUESTS.labels(self.service, method, route, str(status)).inc()
            LATENCY.labels(self.service, method, route).observe(time.perf_counter() - started)
            if status == 503:
                BACKEND_ERRORS.labels(self.service, "db_or_redis").inc()


async def metrics_endpoint(_: Request) -> Response:
    return Response(generate_latest(REGISTRY), media_type=CONTENT_TYPE_LATEST)
