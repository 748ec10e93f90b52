"""Every dependency of every route is a coroutine: FastAPI runs a plain `def` dependency in a worker thread,
a thread hop per request for what is an attribute read (the users service spent most of a `GET /me` so)."""

from __future__ import annotations

import importlib
import inspect
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.routing import APIRoute

from muistot.settings import SERVICES


def dependencies(dependant: Any) -> Iterator[Any]:
    for sub in dependant.dependencies:
        yield sub
        yield from dependencies(sub)


def api_routes(routes: Any) -> Iterator[APIRoute]:
    """Every endpoint, also those of included routers (which the app lists as one entry each)."""
    for route in routes:
        if isinstance(route, APIRoute):
            yield route
        elif hasattr(route, "original_router"):
            yield from api_routes(route.original_router.routes)


def is_coroutine(call: Any) -> bool:
    # A dependency may be an instance (the bearer security scheme) whose method is the coroutine.
    return inspect.iscoroutinefunction(call) or inspect.iscoroutinefunction(type(call).__call__)


@pytest.mark.parametrize("service", SERVICES)
def test_no_route_depends_on_a_plain_function(service, test_settings):
    app = importlib.import_module(f"muistot_{service}.app").create_app(test_settings)
    plain = sorted({f"{route.path}: {getattr(sub.call, '__qualname__', sub.call)}"
                    for route in api_routes(app.routes)
                    for sub in dependencies(route.dependant) if sub.call is not None and not is_coroutine(sub.call)})
    assert len(list(api_routes(app.routes))) > 5
    assert plain == []
