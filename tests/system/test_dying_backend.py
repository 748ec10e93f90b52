"""A service process killed while it answers (it has read the request, the connection then drops) costs
the client no plain text: the gateway's error page comes from another service, and a read on the dying
one ends in the JSON 503. The admin service here is a stand-in that passes its health checks and drops
every other request as a killed process does."""

from __future__ import annotations

import socket
import struct
import threading
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from muistot.settings import Settings
from muistot_tooling.runner import Stack
from tests.system.conftest import stack_settings
from tests.system.flows import assert_error

HEALTHY = b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 2\r\nConnection: close\r\n\r\n{}"


class DiesWhileAnswering:
    """Answers `/health` and `/ready`; any other request is read and then the connection is reset."""

    def __init__(self, port: int) -> None:
        self.listener = socket.create_server(("127.0.0.1", port), reuse_port=False)
        self.dropped = 0
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self) -> None:
        while True:
            try:
                connection, _ = self.listener.accept()
            except OSError:
                return
            with connection:
                head = b""
                while b"\r\n\r\n" not in head:
                    chunk = connection.recv(65536)
                    if not chunk:
                        break
                    head += chunk
                path = head.split(b" ", 2)[1] if head.count(b" ") >= 2 else b""
                if path in (b"/health", b"/ready"):
                    connection.sendall(HEALTHY)
                    continue
                self.dropped += 1
                # SO_LINGER 0: close with a reset, as the kernel does for a process killed mid-answer.
                connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))

    def close(self) -> None:
        self.listener.close()


@pytest.fixture(scope="module")
def stack_with_dying_admin(test_settings: Settings, tmp_path_factory: pytest.TempPathFactory) -> Iterator[
        tuple[Stack, DiesWhileAnswering]]:
    settings = stack_settings(test_settings)
    dying = DiesWhileAnswering(settings.admin_port)
    stack = Stack(settings, log_dir=Path(tmp_path_factory.mktemp("dying-backend")),
                  services=("login", "users", "data"), worker=False)
    try:
        stack.start(timeout=60)
        yield stack, dying
    finally:
        stack.stop()
        dying.close()


def test_the_error_page_comes_from_another_service_when_one_dies_answering_it(stack_with_dying_admin) -> None:
    stack, dying = stack_with_dying_admin
    internal = f"http://127.0.0.1:{stack.settings.metrics_port}"
    before = dying.dropped
    # The error pages are balanced over the four services in turn: eight fetches ask the dying one twice.
    for _ in range(8):
        assert_error(httpx.get(f"{internal}/_internal/error/502", timeout=10), 503)
    assert dying.dropped > before


def test_a_read_on_a_service_that_dies_answering_is_a_json_503(stack_with_dying_admin) -> None:
    stack, _dying = stack_with_dying_admin
    for _ in range(8):
        answer = httpx.get(f"{stack.url}/admin/audit", timeout=10)
        assert_error(answer, 503)
        assert answer.headers["retry-after"]
