"""JSON responses of reads, served from the anonymous response cache when possible."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from fastapi import Request
from fastapi.responses import Response

from muistot.content.cache import ResponseCache
from muistot.identity import Principal
from muistot_data.models import Output

JSON = "application/json"


def json_response(body: bytes, media_type: str = JSON) -> Response:
    return Response(body, media_type=media_type)


async def read_response(request: Request, user: Principal | None, project_id: int | None, lang: str | None,
                        build: Callable[[], Awaitable[Output]], media_type: str = JSON) -> Response:
    """Build the body, or take it from the cache for anonymous callers (whose view is the same for all)."""
    if user is not None:
        return json_response((await build()).to_json(), media_type)
    cache: ResponseCache = request.app.state.response_cache
    key = await cache.key_for(request, project_id, lang)
    hit = await cache.get(key)
    if hit is not None:
        return json_response(hit, media_type)
    body = (await build()).to_json()
    await cache.put(key, body)
    return json_response(body, media_type)


def no_content(status: int = 204, location: str | None = None) -> Response:
    """Write answers (201, 204, 304) carry no body (§0.1)."""
    return Response(status_code=status, headers={"Location": location} if location else None)
