"""HEAD answered wherever GET is: the GET route runs and the answer leaves without its body.

HTTP requires a server to support HEAD on every resource it serves with GET (RFC 9110, section 9.1), and
monitors and `curl -I` use it; FastAPI routes declare GET only, so a HEAD was a 405. The route runs on a copy
of the scope that says GET (the read cache serves it too), the client gets the same status and headers,
`Content-Length` included, and no body. The access line and the metrics still say HEAD.
"""

from __future__ import annotations

from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send


class HeadAsGet:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] != "HEAD":
            await self.app(scope, receive, send)
            return
        as_get: dict[str, Any] = {**scope, "method": "GET"}

        async def without_body(message: Message) -> None:
            if message["type"] == "http.response.body":
                message = {**message, "body": b""}
            await send(message)

        try:
            await self.app(as_get, receive, without_body)
        finally:
            if "route" in as_get:  # the route the request matched, for the metrics (`metrics.route_of`)
                scope["route"] = as_get["route"]
