"""Errors the HTTP server writes before any app code runs are the JSON envelope too: an oversized request
line or head, and requests that do not parse, through the gateway and straight at a service."""

from __future__ import annotations

import json
import socket
from urllib.parse import urlsplit

import httpx
import pytest

from muistot.settings import SERVICES


def assert_envelope(response: httpx.Response, status: int, message: str) -> None:
    assert response.status_code == status, response.text[:200]
    assert response.headers["content-type"] == "application/json"
    assert response.json() == {"error": {"code": status, "message": message}}


def raw_exchange(url: str, request: bytes) -> tuple[int, dict[str, str], bytes]:
    """Send bytes no HTTP client would, and parse the answer by hand."""
    parts = urlsplit(url)
    with socket.create_connection((parts.hostname, parts.port), timeout=10) as sock:
        sock.sendall(request)
        answer = b""
        while chunk := sock.recv(65536):
            answer += chunk
    head, _, body = answer.partition(b"\r\n\r\n")
    status_line, *lines = head.decode("latin-1").split("\r\n")
    headers = {name.lower(): value.strip() for name, _, value in (line.partition(":") for line in lines)}
    return int(status_line.split()[1]), headers, body


def test_a_200_kb_query_string_is_a_json_414(system_stack) -> None:
    # Sent by hand: HTTP clients refuse to build such a URL.
    request = b"GET /projects?q=" + b"a" * 200_000 + b" HTTP/1.1\r\nHost: gateway\r\nConnection: close\r\n\r\n"
    status, headers, body = raw_exchange(system_stack.url, request)
    assert status == 414 and headers["content-type"] == "application/json"
    assert json.loads(body) == {"error": {"code": 414, "message": "URI Too Long"}}


def test_a_request_line_just_under_the_limit_is_served(system_stack, gateway: httpx.Client) -> None:
    room = system_stack.settings.max_url_bytes - len("/projects?q=") - 200
    assert gateway.get("/projects", params={"q": "a" * room}).status_code == 200


def test_oversized_headers_are_a_json_431(gateway: httpx.Client) -> None:
    response = gateway.get("/projects", headers={"X-Padding": "b" * 200_000})
    assert_envelope(response, 431, "Request Header Fields Too Large")
    many = {f"X-Padding-{n}": "c" * 1000 for n in range(100)}
    assert_envelope(gateway.get("/projects", headers=many), 431, "Request Header Fields Too Large")


@pytest.mark.parametrize("service", SERVICES)
def test_each_service_answers_its_own_protocol_errors_as_json(system_stack, service: str) -> None:
    url = system_stack.services[service]
    for request, status, message in [
        (b"NOT HTTP AT ALL\r\n\r\n", 400, "Invalid HTTP request"),
        (b"GET /health HTTP/1.1\r\nHost: x\r\nContent-Length: nine\r\n\r\n", 400, "Invalid HTTP request"),
        (b"GET /health?" + b"q" * 200_000 + b" HTTP/1.1\r\nHost: x\r\n\r\n", 414, "URI Too Long"),
        (b"GET /health HTTP/1.1\r\nHost: x\r\nX-Padding: " + b"p" * 200_000 + b"\r\n\r\n", 431,
         "Request Header Fields Too Large"),
    ]:
        answered, headers, body = raw_exchange(url, request)
        assert answered == status, (service, request[:40])
        assert headers["content-type"] == "application/json"
        assert json.loads(body) == {"error": {"code": status, "message": message}}
    # The service goes on serving.
    assert httpx.get(f"{url}/health").status_code == 200
