"""uvicorn's HTTP protocol (httptools) with a bounded request head and the JSON error envelope on its own errors.

uvicorn answers what it cannot parse itself, before the app sees a request, in plain text
("Invalid HTTP request received."), and accepts request heads of any size. Here those answers are
the contract's envelope, and a request line longer than MUISTOT_MAX_URL_BYTES is 414, a head
(request line and headers) longer than MUISTOT_MAX_HEADER_BYTES is 431. Both stay well under the
gateway's own limit (Traefik refuses heads over 1 MiB with a plain-text 431), so through the
gateway the service's JSON answer is what the client sees.

`protocol_class(settings)` is passed to uvicorn as `http=`.
"""

from __future__ import annotations

import asyncio
import json
from typing import Any

from uvicorn.protocols.http.httptools_impl import STATUS_LINE, HttpToolsProtocol

from muistot.errors import error_body
from muistot.settings import Settings


class _Refused(Exception):
    """Stops the parser at a refused request (it never leaves the protocol)."""


# After an error answer the rest of what the client sends is read and dropped for this long before the
# connection closes: closing with unread data would reset it and could destroy the answer in flight.
LINGER_SECONDS = 2.0


_CONTINUE = b"HTTP/1.1 100 Continue\r\n\r\n"


class _HeadWithBody:
    """The connection as one response cycle writes to it. The cycle writes an answer's head and then each
    body part: here the head waits for the first body part and leaves with it, so a whole answer is one
    write (one system call, one segment for the gateway to read) instead of two. A head that no body part
    follows within the same loop iteration (a stream whose first part is slow) goes out alone after it."""

    __slots__ = ("_head", "_head_written", "_loop", "_transport")

    def __init__(self, transport: asyncio.Transport, loop: asyncio.AbstractEventLoop) -> None:
        self._transport = transport
        self._loop = loop
        self._head: bytes | None = None
        self._head_written = False

    def write(self, data: bytes) -> None:
        if self._head is not None:
            data, self._head = self._head + data, None
        elif not self._head_written and data != _CONTINUE:
            self._head, self._head_written = data, True
            self._loop.call_soon(self.flush)
            return
        self._transport.write(data)

    def flush(self) -> None:
        if self._head is not None:
            head, self._head = self._head, None
            self._transport.write(head)

    def close(self) -> None:
        self.flush()
        self._transport.close()

    def is_closing(self) -> bool:
        return self._transport.is_closing()


class JsonErrorsProtocol(HttpToolsProtocol):
    max_url_bytes = 16 * 1024
    max_head_bytes = 64 * 1024

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._reading_head = True
        self._head_bytes = 0  # received while the head is incomplete
        self._head_bytes_parsed = 0  # of the headers parsed so far
        self._refusal: tuple[int, str] | None = None
        self._answered = False

    # The parser's callbacks, counting the head of each request.

    def on_url(self, url: bytes) -> None:
        super().on_url(url)
        if len(self.url) > self.max_url_bytes:
            self._refusal = (414, "URI Too Long")
            raise _Refused

    def on_header(self, name: bytes, value: bytes) -> None:
        self._head_bytes_parsed += len(name) + len(value) + 4
        if len(self.url) + self._head_bytes_parsed > self.max_head_bytes:
            self._refusal = (431, "Request Header Fields Too Large")
            raise _Refused
        super().on_header(name, value)

    def on_headers_complete(self) -> None:
        self._reading_head = False
        super().on_headers_complete()
        self.cycle.transport = _HeadWithBody(self.transport, self.loop)  # type: ignore[assignment]

    def on_message_complete(self) -> None:
        super().on_message_complete()
        self._reading_head = True
        self._head_bytes = self._head_bytes_parsed = 0

    def data_received(self, data: bytes) -> None:
        if self._answered:
            return  # the rest of a refused request
        if self._reading_head:
            self._head_bytes += len(data)
        super().data_received(data)
        if self._reading_head and self._head_bytes > self.max_head_bytes and not self._answered:
            self._refusal = (431, "Request Header Fields Too Large")
            self.send_400_response("request head too large")

    def send_400_response(self, msg: str) -> None:
        """Every answer the protocol gives on its own: the parse error, or the refusal behind it."""
        status, message = self._refusal or (400, "Invalid HTTP request")
        body = json.dumps(error_body(status, message)).encode()
        head = [STATUS_LINE[status]]
        for name, value in self.server_state.default_headers:
            head.extend([name, b": ", value, b"\r\n"])
        head.extend([b"content-type: application/json\r\n", b"content-length: " + str(len(body)).encode() + b"\r\n",
                     b"connection: close\r\n", b"\r\n", body])
        self.transport.write(b"".join(head))
        self._answered = True
        if self.transport.can_write_eof():
            self.transport.write_eof()
        self.loop.call_later(LINGER_SECONDS, self.transport.close)


def protocol_class(settings: Settings) -> type[JsonErrorsProtocol]:
    """The protocol with the head limits of these settings."""
    return type("MuistotHttpProtocol", (JsonErrorsProtocol,),
                {"max_url_bytes": settings.max_url_bytes, "max_head_bytes": settings.max_header_bytes})
