"""The app factory every service uses: settings, DB, Redis, sessions, errors, health, logging, metrics."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from contextlib import asynccontextmanager
from typing import Any

from fastapi import APIRouter, FastAPI, Request
from fastapi.responses import JSONResponse, Response
from starlette.datastructures import State
from starlette.types import ASGIApp

from muistot.body_limit import BodyLimitMiddleware
from muistot.db.engine import open_database
from muistot.deadline import DeadlineMiddleware
from muistot.errors import error_response, install_error_handlers
from muistot.head import HeadAsGet
from muistot.logs import RequestContextMiddleware
from muistot.metrics import metrics_endpoint
from muistot.openapi import finish_openapi, operation_id
from muistot.redis import RedisClients
from muistot.sessions import SessionStore
from muistot.settings import Settings, get_settings
from muistot.urls import PrefixedSlashRedirects

log = logging.getLogger("muistot.app")

Hook = Callable[[FastAPI], Awaitable[None]]
# Pure ASGI code that answers a hot path before FastAPI routes the request (`app.state` in hand).
FrontEndpoint = Callable[[ASGIApp, State], ASGIApp]


def attach_backends(app: FastAPI, settings: Settings) -> None:
    """Create the shared clients on `app.state` (connections open lazily)."""
    app.state.settings = settings
    app.state.db = open_database(settings)
    app.state.redis = RedisClients.from_settings(settings)
    app.state.sessions = SessionStore(app.state.redis.sessions, settings.redis_prefix,
                                      settings.session_idle_seconds, settings.session_max_seconds)


async def close_backends(app: FastAPI) -> None:
    await app.state.db.dispose()
    await app.state.redis.close()


async def readiness(app: FastAPI) -> dict[str, str]:
    checks: dict[str, str] = {}

    async def check(name: str, probe: Callable[[], Awaitable[Any]]) -> None:
        try:
            await asyncio.wait_for(probe(), timeout=3)
            checks[name] = "ok"
        except Exception as exc:  # any failure means "not ready"; the reason goes to the operator
            checks[name] = f"unavailable: {type(exc).__name__}"

    await asyncio.gather(check("database", app.state.db.ping), check("redis", app.state.redis.ping))
    return checks


def health_router() -> APIRouter:
    router = APIRouter(include_in_schema=False)

    @router.get("/health")
    async def health() -> dict[str, str]:
        return {"status": "ok"}

    @router.get("/ready")
    async def ready(request: Request) -> Response:
        checks = await readiness(request.app)
        ok = all(value == "ok" for value in checks.values())
        return JSONResponse({"status": "ok" if ok else "unavailable", "checks": checks},
                            status_code=200 if ok else 503)

    # Traefik's errors middleware fetches this (GET) when a service is down or unreachable; a service's
    # failover sends the client's own request here, whatever its method, when no instance is healthy.
    @router.api_route("/_internal/error/{status}", methods=["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE",
                                                            "OPTIONS"])
    async def gateway_error(status: int) -> Response:
        return error_response(503, "Service Unavailable", headers={"Retry-After": "5"}) if status >= 500 else \
            error_response(status)

    router.add_route("/metrics", metrics_endpoint, methods=["GET"])
    return router


def _finish_openapi_of(app: FastAPI) -> None:
    """`app.openapi()` answers FastAPI's document finished by `muistot.openapi` (built once, on first use)."""

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            finish_openapi(app, FastAPI.openapi(app))
        return app.openapi_schema  # type: ignore[return-value]

    app.openapi = openapi  # type: ignore[method-assign]


def create_service_app(
    service: str,
    routers: Sequence[APIRouter],
    *,
    settings: Settings | None = None,
    description: str = "",
    max_body_bytes: int,
    front: Sequence[FrontEndpoint] = (),
    on_startup: Sequence[Hook] = (),
    on_shutdown: Sequence[Hook] = (),
) -> FastAPI:
    settings = settings or get_settings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        for hook in on_startup:
            await hook(app)
        try:
            yield
        finally:
            for hook in on_shutdown:
                await hook(app)
            await close_backends(app)

    # Behind a path prefix the spec names it as its server (docs/api.md, "Requests"); the prefix comes from the
    # settings, not from the request, so the app's own routes stay unprefixed.
    servers = [{"url": settings.root_path}] if settings.root_path else None
    # Our own Prometheus metrics and access lines cover what FastAPI's OpenTelemetry hooks would, and the
    # hooks cost a provider lookup on every request.
    app = FastAPI(title=f"Muistot {service}", description=description, version="1.0.0", lifespan=lifespan,
                  telemetry={"tracing": False, "metrics": False, "logs": False},
                  docs_url="/docs" if service != "login" else None,
                  redoc_url=None, openapi_url="/openapi.json", servers=servers,
                  generate_unique_id_function=operation_id)
    app.state.service = service
    _finish_openapi_of(app)
    attach_backends(app, settings)
    install_error_handlers(app)
    app.include_router(health_router())
    for router in routers:
        app.include_router(router)
    # Closest to the routes (behind the read cache): cancels and rolls back a request that runs too long.
    app.add_middleware(DeadlineMiddleware, seconds=settings.request_timeout)
    if settings.root_path:
        app.add_middleware(PrefixedSlashRedirects, root_path=settings.root_path)
    # Inside the request context (ids, access line, metrics), in front of everything else.
    for endpoint in reversed(front):
        app.add_middleware(endpoint, state=app.state)
    # A HEAD runs as its GET from here in (the read cache included); the request context still sees HEAD.
    app.add_middleware(HeadAsGet)
    app.add_middleware(RequestContextMiddleware, service=service)
    # Outermost, so an oversized body is refused (413) before anything buffers or parses it.
    app.add_middleware(BodyLimitMiddleware, max_bytes=max_body_bytes)
    return app
