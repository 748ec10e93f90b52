"""Fixtures for the users service tests: its client, more sessions for one user, token checks."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

import httpx
import pytest


@pytest.fixture
def users(service_client) -> httpx.AsyncClient:
    return service_client("users")


@pytest.fixture
def extra_session(users) -> Callable[..., Awaitable[str]]:
    """`await extra_session(user, client=...)` → the token of another live session of that user."""

    async def create(user, client: str = "second device") -> str:
        token, _ = await users.app.state.sessions.create(user.id, user.username, False, client=client)
        return token

    return create


@pytest.fixture
def is_live(users) -> Callable[[str], Awaitable[bool]]:
    """`await is_live(token)`: does GET /me accept this token?"""

    async def check(token: str) -> bool:
        response = await users.get("/me", headers={"Authorization": f"Bearer {token}"})
        assert response.status_code in (200, 401)
        return response.status_code == 200

    return check
