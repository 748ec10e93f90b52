"""Redis or the database out of reach: a clean JSON 503, never a 500 or a half-done login."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from .conftest import free_port_url, from_ip, new_email


async def test_redis_down_is_a_503(login_app_with: Callable[..., Any]) -> None:
    down = free_port_url("redis")
    async with login_app_with(redis_url=down, session_redis_url=down, cache_redis_url=down,
                              redis_timeout=1.0) as client:
        for response in (
            await client.post("/auth/email", params={"email": new_email()}, headers=from_ip()),
            await client.post("/auth/email/exchange", params={"user": "Someone", "token": "x"}, headers=from_ip()),
            await client.post("/auth/password", json={"username": "Someone", "password": "x"}, headers=from_ip()),
            await client.get("/_internal/verify", headers={"Authorization": "Bearer " + "A" * 43}),
        ):
            assert response.status_code == 503
            assert response.json()["error"]["code"] == 503
            assert "Retry-After" in response.headers


async def test_database_down_is_a_503(login_app_with: Callable[..., Any]) -> None:
    async with login_app_with(database_url=free_port_url("mysql+aiomysql", path="/muistot"),
                              db_connect_timeout=1.0) as client:
        response = await client.post("/auth/email", params={"email": new_email()}, headers=from_ip())
        assert response.status_code == 503
        assert response.json() == {"error": {"code": 503, "message": "Lost Connection to Database"}}
        body = {"username": "Nobody1", "email": new_email(), "password": "long enough pw"}
        assert (await client.post("/auth/register", json=body, headers=from_ip())).status_code == 503
