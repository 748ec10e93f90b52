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
