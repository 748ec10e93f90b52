"""Unreachable backends give a clean JSON 503 and leave nothing half-written (real closed ports, no mocks)."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from muistot.db.tables import login_verifiers
from muistot_tooling.testing.plugin import CLOSED_MYSQL_URL as CLOSED_MYSQL
from muistot_tooling.testing.plugin import CLOSED_REDIS_URL as CLOSED_REDIS
from muistot_tooling.testing.plugin import running


@pytest.fixture
def app_with(service_app_with):
    return service_app_with("users")


async def test_database_down_is_503(app_with, make_user):
    user = await make_user()
    async with running(app_with(database_url=CLOSED_MYSQL)) as client:
        for method, path, kwargs in [("GET", "/me", {}), ("PATCH", "/me", {"json": {"city": "Oulu"}}),
                                     ("GET", "/me/memories", {}), ("GET", "/me/export", {})]:
            response = await client.request(method, path, headers=user.headers, **kwargs)
            assert response.status_code == 503, path
            assert response.json()["error"]["code"] == 503
            assert response.headers["retry-after"]


async def test_session_store_down_is_503(app_with, make_user):
    user = await make_user()
    async with running(app_with(redis_url=CLOSED_REDIS, session_redis_url=CLOSED_REDIS,
                                cache_redis_url=CLOSED_REDIS)) as client:
        response = await client.get("/me", headers=user.headers)
        assert response.status_code == 503
        assert response.json()["error"]["message"] == "Lost Connection to Redis"


async def test_mail_outbox_down_sends_nothing_and_writes_nothing(app_with, make_user, users, is_live):
    user = await make_user()
    # Sessions still answer; the cache Redis (outbox and rate limits) does not.
    async with running(app_with(cache_redis_url=CLOSED_REDIS)) as client:
        response = await client.post("/me/email", params={"email": f"x-{user.username.lower()}@example.com"},
                                     headers=user.headers)
        assert response.status_code == 503
        deletion = await client.post("/me/account/delete-request", headers=user.headers)
        assert deletion.status_code == 503
    async with users.app.state.db.connect() as conn:
        pending = await conn.scalar(select(func.count()).select_from(login_verifiers)
                                    .where(login_verifiers.c.user_id == user.id))
    assert pending == 0
    assert await is_live(user.token)  # the session it presented was not swapped
