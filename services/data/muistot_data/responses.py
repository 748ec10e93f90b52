"""JSON responses of reads, served from the response cache when the caller's view is a shared one."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from fastapi import Request
from fastapi.responses import Response

from muistot.content.cache import SLOT, Headers, Hit, ResponseCache, Slot
from muistot.identity import Principal
from muistot_data.models import Output

JSON = "application/json"


# Every read under /projects answers what the caller may see (`Authorization`); a localised one, the language
# the headers ask for (docs/api.md, "Languages").
VARY_CALLER = "Authorization"
VARY_LOCALISED = "Accept-Language, Muistot-Language, Authorization"


def read_headers(body: Output, media_type: str, localised: str | None) -> Headers:
    """`Content-Type`, and for a localised body (`localised` is the language of one without texts, an empty
    list) its `Content-Language` and the `Vary` that keeps the languages apart in HTTP caches."""
    if localised is None:
        return ((b"content-type", media_type.encode()), (b"vary", VARY_CALLER.encode()))
    languages = ", ".join(body.languages() or [localised])
    return ((b"content-type", media_type.encode()), (b"content-language", languages.encode()),
            (b"vary", VARY_LOCALISED.encode()))


def answer(headers: Headers, body: bytes | memoryview) -> Response:
    return Response(body, headers={name.decode(): value.decode() for name, value in headers})


async def read_response(request: Request, user: Principal | None, build: Callable[[], Awaitable[Output]],
                        media_type: str = JSON, *, shared: str | None = None,
                        localised: str | None = None) -> Response:
    """Build the body, or take it from the cache when the caller's view is one many people share.

    Hits usually never get here: `muistot.content.cache.ReadCache` answers them first and hands an anonymous
    miss its slot. A signed-in caller whose view is that of an audience (`shared`: `ANONYMOUS` when the body
    is the same for everyone who may read it, `SIGNED_IN` for `Chain.shares_view`) is looked up again here,
    once the chain query has confirmed who they are. `localised`: see `read_headers`; None for bodies without
    localised texts (memories, comments).
    """
    cache: ResponseCache = request.app.state.response_cache
    slot: Hit | Slot | None = None
    if user is None:
        slot = request.scope.get(SLOT)
    elif shared is not None:
        slot = await cache.lookup(request.scope, shared)
        if isinstance(slot, Hit):
            return answer(slot.headers, slot.body)
    found = await build()
    body, headers = found.to_json(), read_headers(found, media_type, localised)
    if isinstance(slot, Slot):
        await cache.store(slot, headers, body)
    return answer(headers, body)
