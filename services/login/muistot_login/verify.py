"""`/_internal/verify`: the gateway's ForwardAuth target, asked on every signed-in request. Never routed to
clients.

No token → 200 anonymous; a bad or expired token → 401 with the contract's body; a valid one → 200 with
`X-Muistot-Identity`. One Redis round trip (GETEX slides the idle expiry). It answers in front of FastAPI
(inside the request context, which adds `X-Request-Id`): the routing, dependency and response layers
would cost more than the check itself.
"""

from __future__ import annotations

import logging
from typing import Any

from redis.exceptions import RedisError
from starlette.types import ASGIApp, Receive, Scope, Send

from muistot import identity
from muistot.asgi import send_error, send_response
from muistot.auth import parse_bearer
from muistot.errors import ApiError

VERIFY_PATH = "/_internal/verify"
log = logging.getLogger("muistot.login.verify")


class VerifyEndpoint:
    def __init__(self, app: ASGIApp, state: Any) -> None:
        self.app = app
        self.state = state

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"] != VERIFY_PATH:
            await self.app(scope, receive, send)
            return
        header = None
        for name, value in scope["headers"]:
            if name == b"authorization":
                header = value.decode("latin-1")
                break
        try:
            token = parse_bearer(header)
        except ApiError as exc:
            await send_error(send, exc.status, exc.message)
            return
        if token is None:
            await send_response(send, 200)
            return
        try:
            session = await self.state.sessions.validate(token)
        except RedisError as exc:
            log.warning("redis unavailable: %s", exc)
            await send_error(send, 503, "Lost Connection to Redis", headers={"Retry-After": "5"})
            return
        if session is None:
            await send_error(send, 401, "Invalid Session")
            return
        settings = self.state.settings
        minted = identity.mint(session, settings.identity_secret, settings.identity_ttl)
        await send_response(send, 200, headers=[(identity.IDENTITY_HEADER.lower().encode(), minted.encode())])
