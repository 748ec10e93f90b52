"""JSON responses of reads, served from the response cache when the caller's view is a shared one."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from fastapi import Request
from fastapi.responses import Response

from muistot.content.cache import SLOT, Hit, ResponseCache, Slot
from muistot.identity import Principal
from muistot_data.models import Output

JSON = "application/json"


def json_response(body: bytes, media_type: str = JSON) -> Response:
    return Response(body, media_type=media_type)


async def read_response(request: Request, user: Principal | None, build: Callable[[], Awaitable[Output]],
                        media_type: str = JSON, *, shared: str | None = None) -> Response:
    """Build the body, or take it from the cache when the caller's view is one many people share.

    Hits usually never get here: `muistot.content.cache.ReadCache` answers them first and hands an anonymous
    miss its slot. A signed-in caller whose view is that of an audience (`shared`: `ANONYMOUS` when the body
    is the same for everyone who may read it, `SIGNED_IN` for `Chain.shares_view`) is looked up again here,
    once the chain query has confirmed who they are.
    """
    cache: ResponseCache = request.app.state.response_cache
    slot: Hit | Slot | None = None
    if user is None:
        slot = request.scope.get(SLOT)
    elif shared is not None:
        slot = await cache.lookup(request.scope, shared)
        if isinstance(slot, Hit):
            return Response(slot.body, media_type=slot.media_type.decode())
    body = (await build()).to_json()
    if isinstance(slot, Slot):
        await cache.store(slot, media_type, body)
    return json_response(body, media_type)


def no_content(status: int = 204, location: str | None = None) -> Response:
    """Write answers (201, 204, 304) carry no body (§0.1)."""
    return Response(status_code=status, headers={"Location": location} if location else None)
