"""A pure ASGI middleware that caps request bodies before anything parses them.

Answers 413 with the JSON error envelope as soon as `Content-Length` or the bytes streamed so far
exceed the cap, so a 50 MB upload is refused without being buffered or decoded. The rest of the body is
read and dropped first (up to DRAIN_BYTES, for at most DRAIN_SECONDS): closing a connection with unread
data resets it, and a proxy still sending the body (the gateway) then loses the 413 and answers 502.
"""

from __future__ import annotations

import asyncio
from typing import Any

from muistot.asgi import send_error
from muistot.settings import Settings

Scope = dict[str, Any]
Message = dict[str, Any]
DRAIN_BYTES = 64 * 1024 * 1024
DRAIN_SECONDS = 5.0


class BodyTooLarge(Exception):
    pass


def body_limit_for(settings: Settings) -> int:
    """Room for one base64 image (4/3 of its bytes) plus the longest texts of a body."""
    return settings.max_image_bytes * 4 // 3 + 2 * 1024 * 1024


class BodyLimitMiddleware:
    def __init__(self, app: Any, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def _refuse(self, receive: Any, send: Any, more_body: bool = True) -> None:
        if more_body:
            await _drain(receive)
        await send_error(send, 413, "Request body too large", headers={"Connection": "close"})

    async def __call__(self, scope: Scope, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        carries_body = False
        for name, value in scope.get("headers", ()):
            if name == b"content-length":
                try:
                    declared = int(value)
                except ValueError:
                    declared = 0
                if declared > self.max_bytes:
                    await self._refuse(receive, send)
                    return
                carries_body = carries_body or declared > 0
            elif name == b"transfer-encoding":
                carries_body = True
        if not carries_body:
            # HTTP/1.1 frames a body by one of those two headers: without them there is nothing to count.
            await self.app(scope, receive, send)
            return
        received = 0
        exceeded = False
        started = False
        more_body = True

        async def limited_receive() -> Message:
            nonlocal received, exceeded, more_body
            if exceeded:
                raise BodyTooLarge
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                more_body = bool(message.get("more_body", False))
                if received > self.max_bytes:
                    exceeded = True
                    raise BodyTooLarge
            return message

        async def guarded_send(message: Message) -> None:
            nonlocal started
            if exceeded and not started:
                return  # whatever the app made of the aborted read is replaced by our 413
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, limited_receive, guarded_send)
        except Exception:
            if not exceeded:
                raise
        if exceeded and not started:
            await self._refuse(receive, send, more_body)


async def _drain(receive: Any) -> None:
    """Read and drop what is left of the request body, within DRAIN_BYTES and DRAIN_SECONDS."""
    drained = 0
    try:
        async with asyncio.timeout(DRAIN_SECONDS):
            while drained <= DRAIN_BYTES:
                message = await receive()
                if message["type"] != "http.request":
                    return
                drained += len(message.get("body", b""))
                if not message.get("more_body", False):
                    return
    except TimeoutError:
        return
