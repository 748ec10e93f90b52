"""The request deadline: a request still running after MUISTOT_REQUEST_TIMEOUT is cancelled and answered 503.

Cancelling the handler rolls its transaction back (the statement in flight is abandoned with its
connection), deletes the images it stored, and the client gets the JSON 503 with `Retry-After`.
The deadline is shorter than the gateway's timeout, so the answer is ours, never the gateway's.

A write must never be committed after its answer said it failed: `Database.transaction()` calls
`settle()` just before it commits. From then on the deadline no longer applies to that request
(the commit and what follows it run to their end, bounded by the database's and Redis's own
timeouts), and if the deadline fired already, `settle()` says so and nothing is committed.

The middleware sits closest to the app, behind the anonymous read cache, so cached reads never pay for
it; a request costs one timer.
"""

from __future__ import annotations

import asyncio
import contextvars
import json
import logging

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from muistot.errors import ApiError, error_body

log = logging.getLogger("muistot.deadline")

_current: contextvars.ContextVar[asyncio.Timeout | None] = contextvars.ContextVar("deadline", default=None)
RETRY_AFTER = b"5"
MESSAGE = "Request took too long"


class TooLate(ApiError):
    """A transaction about to commit found its request's deadline passed (normally the cancellation comes first)."""

    def __init__(self) -> None:
        super().__init__(503, MESSAGE, headers={"Retry-After": RETRY_AFTER.decode()})


def settle() -> bool:
    """Lift the deadline of the current request before it commits; False if it has already fired."""
    timeout = _current.get()
    if timeout is None:
        return True
    if timeout.expired():
        return False
    try:
        timeout.reschedule(None)
    except RuntimeError:  # fired this very moment: the cancellation is on its way
        return False
    return True


class DeadlineMiddleware:
    def __init__(self, app: ASGIApp, seconds: float) -> None:
        self.app = app
        self.seconds = seconds

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not self.seconds:
            await self.app(scope, receive, send)
            return
        answered = False
        timer: asyncio.Timeout | None = None

        async def send_and_settle(message: Message) -> None:
            nonlocal answered
            if message["type"] == "http.response.start" and not answered:
                answered = True
                settle()  # the answer is decided: let it be sent whole
            await send(message)

        try:
            async with asyncio.timeout(self.seconds) as timer:
                token = _current.set(timer)
                try:
                    await self.app(scope, receive, send_and_settle)
                finally:
                    _current.reset(token)
        except TimeoutError:
            if timer is None or not timer.expired():
                raise  # a timeout of something inside, not ours: the app's error handling missed it
            log.warning("request deadline of %g s passed: %s %s cancelled and rolled back", self.seconds,
                        scope.get("method"), scope.get("path"))
            if not answered:
                await self._unavailable(send)

    @staticmethod
    async def _unavailable(send: Send) -> None:
        body = json.dumps(error_body(503, MESSAGE)).encode()
        await send({"type": "http.response.start", "status": 503,
                    "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode()),
                                (b"retry-after", RETRY_AFTER)]})
        await send({"type": "http.response.body", "body": body})
