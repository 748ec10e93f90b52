"""JSON responses of reads, served from the anonymous response cache when possible."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from fastapi import Request
from fastapi.responses import Response

from muistot.content.cache import SLOT, ResponseCache, Slot
from muistot.identity import Principal
from muistot_data.models import Output

JSON = "application/json"


def json_response(body: bytes, media_type: str = JSON) -> Response:
    return Response(body, media_type=media_type)


async def read_response(request: Request, user: Principal | None, build: Callable[[], Awaitable[Output]],
                        media_type: str = JSON) -> Response:
    """Build the body; for anonymous callers (whose view is the same for all) also store it in the cache.

    Cache hits never get here: `muistot.content.cache.AnonymousReadCache` answers them first and hands a
    miss its slot.
    """
    body = (await build()).to_json()
    slot: Slot | None = request.scope.get(SLOT)
    if user is None and slot is not None:
        cache: ResponseCache = request.app.state.response_cache
        await cache.store(slot, media_type, body)
    return json_response(body, media_type)


def no_content(status: int = 204, location: str | None = None) -> Response:
    """Write answers (201, 204, 304) carry no body (§0.1)."""
    return Response(status_code=status, headers={"Location": location} if location else None)
