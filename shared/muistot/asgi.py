"""Answering from pure ASGI code: the few hot paths that run in front of FastAPI (cache hits, the
gateway's session check, refused bodies) send their responses through these helpers."""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence

from starlette.types import Send

from muistot.errors import error_body, error_headers

Headers = Iterable[tuple[bytes, bytes]]


async def send_response(send: Send, status: int, body: bytes = b"", headers: Headers = ()) -> None:
    await send({"type": "http.response.start", "status": status,
                "headers": [*headers, (b"content-length", str(len(body)).encode())]})
    await send({"type": "http.response.body", "body": body})


async def send_error(send: Send, status: int, message: str | None = None, details: Sequence[str] = (),
                     headers: dict[str, str] | None = None) -> None:
    """The error envelope, byte for byte as `muistot.errors.error_response` renders it."""
    body = json.dumps(error_body(status, message, details), ensure_ascii=False, allow_nan=False,
                      separators=(",", ":")).encode()
    fields = [(name.lower().encode("latin-1"), value.encode("latin-1"))
              for name, value in error_headers(status, headers).items()]
    await send_response(send, status, body, [*fields, (b"content-type", b"application/json")])
