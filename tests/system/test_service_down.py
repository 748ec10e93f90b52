"""A stopped service (or the login verify behind ForwardAuth) gives the client a JSON 503, never
Traefik's plain text. Each test stops one process of the session stack and starts it again."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest


def assert_json_503(response: httpx.Response) -> None:
    assert response.status_code == 503, f"{response.request.url}: {response.text}"
    assert response.headers["content-type"].startswith("application/json"), f"{response.request.url}: {response.text}"
    assert response.headers["content-type"].startswith("application/json"), response.text
    assert response.json()["error"]["code"] == 503
    assert response.headers["retry-after"]


@pytest.fixture
def login_down(system_stack) -> Iterator[None]:
    system_stack.stack.stop_process("login")
    try:
        yield
    finally:
        system_stack.stack.restart_service("login")


@pytest.fixture
def data_down(system_stack) -> Iterator[None]:
    system_stack.stack.stop_process("data")
    try:
        yield
    finally:
        system_stack.stack.restart_service("data")


def test_login_down_is_json_503(gateway, gateway_user, login_down) -> None:
    for _ in range(5):  # every pick of the error-page pool, dead login included, ends in JSON
        assert_json_503(gateway.get("/me", headers=gateway_user.headers))  # ForwardAuth cannot verify
        assert_json_503(gateway.get("/projects", headers=gateway_user.headers))
        assert_json_503(gateway.get("/auth/status"))  # a login route
        assert_json_503(gateway.get("/ready"))
    # Anonymous reads of the other services do not need login.
    assert gateway.get("/languages?q=fi").status_code == 200


def test_login_comes_back(gateway, gateway_user) -> None:
    assert gateway.get("/me", headers=gateway_user.headers).status_code == 200
    assert gateway.get("/ready").status_code == 200


def test_data_down_is_json_503(gateway, gateway_user, data_down) -> None:
    for _ in range(5):
        assert_json_503(gateway.get("/languages?q=fi"))
        assert_json_503(gateway.get("/projects", headers=gateway_user.headers))
    ready = gateway.get("/ready")
    assert ready.status_code == 503
    assert any(detail.startswith("data:") for detail in ready.json()["error"]["details"])
    assert gateway.get("/me", headers=gateway_user.headers).status_code == 200
