"""Unreachable backends give a clean JSON 503 and leave nothing half-written (real closed ports, no mocks)."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from muistot.db.tables import reports
from muistot_tooling.testing.plugin import CLOSED_MYSQL_URL as CLOSED_MYSQL
from muistot_tooling.testing.plugin import CLOSED_REDIS_URL as CLOSED_REDIS
from muistot_tooling.testing.plugin import running


@pytest.fixture
def app_with(service_app_with):
    return service_app_with("admin")


def every_endpoint(world):
    name = world.user.username
    return [("POST", "/projects", {"id": "outage-project", "info": {"lang": "fi", "name": "x"}}),
            ("PATCH", world.project_path, {"auto_publish": True}),
            ("DELETE", world.project_path, None),
            ("POST", f"{world.project_path}/admins?username={name}", None),
            ("DELETE", f"{world.project_path}/moderators?username={name}", None),
            ("POST", f"{world.site_path}/publish?publish=false", None),
            ("POST", "/admin/publish", world.order("memory", publish=False)),
            ("PUT", f"{world.comment_path}/report", None),
            ("POST", "/report", world.order("site")),
            ("GET", "/admin/queue", None),
            ("GET", "/admin/audit", None),
            ("POST", f"/admin/queue/site/{world.site_id}/decision", {"action": "reject"}),
            ("GET", "/admin/superusers", None),
            ("POST", f"/admin/superusers?username={name}", None)]


def assert_503(response, message):
    assert response.status_code == 503
    assert response.json() == {"error": {"code": 503, "message": message}}
    assert response.headers["retry-after"]


async def test_database_down_is_503_everywhere(app_with, world):
    async with running(app_with(database_url=CLOSED_MYSQL)) as client:
        for method, path, body in every_endpoint(world):
            response = await client.request(method, path, json=body, headers=world.superuser.headers)
            assert_503(response, "Lost Connection to Database")


async def test_session_store_down_is_503(app_with, content, world):
    async with running(app_with(redis_url=CLOSED_REDIS, session_redis_url=CLOSED_REDIS,
                                cache_redis_url=CLOSED_REDIS)) as client:
        response = await client.post(f"{world.site_path}/publish?publish=false", headers=world.admin.headers)
        assert_503(response, "Lost Connection to Redis")
    assert await content.state_of("site", world.site_id) == "published"


async def test_reports_with_the_cache_down_are_503_and_store_nothing(app_with, app_state, world):
    # Rate limiting needs the cache Redis; an unlimited report is refused rather than let through.
    async with running(app_with(cache_redis_url=CLOSED_REDIS)) as client:
        assert_503(await client.put(f"{world.memory_path}/report", headers=world.user.headers),
                   "Lost Connection to Redis")
        assert_503(await client.post("/report", json=world.order("comment"), headers=world.user.headers),
                   "Lost Connection to Redis")
    async with app_state.db.connect() as conn:
        assert await conn.scalar(select(func.count()).select_from(reports)
                                 .where(reports.c.user_id == world.user.id)) == 0


async def test_a_rejection_whose_mail_cannot_be_queued_is_rolled_back(app_with, content, world):
    before = await content.audit_actions(world.project_id)
    async with running(app_with(cache_redis_url=CLOSED_REDIS)) as client:
        response = await client.post(f"/admin/queue/memory/{world.memory}/decision",
                                     json={"action": "reject", "reason": "Ei kuulu tänne"},
                                     headers=world.moderator.headers)
        assert_503(response, "Lost Connection to Redis")
    assert await content.state_of("memory", world.memory) == "published"
    assert await content.audit_actions(world.project_id) == before


async def test_publishing_with_the_cache_down_still_works(app_with, content, world):
    # Readers do not cache while the cache Redis is away, so nothing stale can be served afterwards.
    async with running(app_with(cache_redis_url=CLOSED_REDIS)) as client:
        response = await client.post(f"{world.site_path}/publish?publish=false", headers=world.moderator.headers)
        assert response.status_code == 204
    assert await content.state_of("site", world.site_id) == "pending"


async def test_superuser_changes_with_the_session_store_down_are_rolled_back(app_with, app_state, test_settings,
                                                                            world):
    """Behind the gateway the caller is known from the identity header, yet their sessions live in Redis."""
    import time

    from muistot import identity
    from muistot.db.tables import superusers
    from muistot.sessions import Session

    su = world.superuser
    session = Session(id=su.session_id, user_id=su.id, username=su.username, superuser=True, created=0,
                      expires=int(time.time()) + 60)
    headers = {identity.IDENTITY_HEADER: identity.mint(session, test_settings.identity_secret, 30)}
    async with running(app_with(session_redis_url=CLOSED_REDIS)) as client:
        response = await client.post(f"/admin/superusers?username={world.user.username}", headers=headers)
        assert_503(response, "Lost Connection to Redis")
    async with app_state.db.connect() as conn:
        assert await conn.scalar(select(superusers.c.user_id).where(superusers.c.user_id == world.user.id)) is None
