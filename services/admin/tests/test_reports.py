"""Reporting: `PUT …/report`, `POST /report`, auto-hide over the threshold and the worker's safety net."""

import pytest
from sqlalchemy import select

from muistot import moderation
from muistot.db.tables import reports
from muistot.worker import WorkerContext

CONTENT = ["site", "memory", "comment"]


async def reports_of(state, kind, item_id):
    column = moderation.REPORT_COLUMNS[kind]
    async with state.db.connect() as conn:
        rows = await conn.execute(select(reports.c.user_id, reports.c.reason).where(column == item_id))
        return [tuple(row) for row in rows]


@pytest.mark.parametrize("kind", CONTENT)
async def test_report_is_always_204_with_location(admin_client, app_state, content, world, kind):
    path = f"{world.path(kind)}/report"
    first = await admin_client.put(path, json={"reason": "  Loukkaava  "}, headers=world.user.headers)
    again = await admin_client.put(path, headers=world.user.headers)
    for response in (first, again):
        assert response.status_code == 204
        assert response.headers["location"] == f"http://testserver{world.path(kind)}"
    assert await reports_of(app_state, kind, content.item_id(world, kind)) == [(world.user.id, "Loukkaava")]


async def test_report_needs_a_signed_in_user(admin_client, world):
    response = await admin_client.put(f"{world.site_path}/report")
    assert response.status_code == 401
    assert response.headers["www-authenticate"] == "Bearer"


async def test_report_reason_is_limited(admin_client, world):
    response = await admin_client.put(f"{world.site_path}/report", json={"reason": "x" * 1001},
                                      headers=world.user.headers)
    assert response.status_code == 422
    assert response.json()["error"]["errors"][0]["loc"] == ["body", "reason"]


async def test_reporting_what_one_cannot_see_is_404(admin_client, content):
    world = await content.world(content_state="pending")
    response = await admin_client.put(f"{world.memory_path}/report", headers=world.user.headers)
    assert response.status_code == 404
    assert response.json()["error"]["message"] == "Site not found"
    response = await admin_client.put(f"{world.site_path}/memories/99999999/report", headers=world.admin.headers)
    assert response.json() == {"error": {"code": 404, "message": "Memory not found"}}
    # Staff can see it, and so can report it.
    assert (await admin_client.put(f"{world.memory_path}/report",
                                   headers=world.moderator.headers)).status_code == 204


@pytest.mark.parametrize("kind", CONTENT)
async def test_generic_report_is_204_then_304(admin_client, world, kind):
    order = world.order(kind, reason="spam")
    assert (await admin_client.post("/report", json=order, headers=world.user.headers)).status_code == 204
    response = await admin_client.post("/report", json=order, headers=world.user.headers)
    assert response.status_code == 304
    assert response.content == b""


async def test_generic_report_of_a_project_is_not_implemented(admin_client, world):
    response = await admin_client.post("/report", json=world.order("project"), headers=world.user.headers)
    assert response.status_code == 501
    assert response.json() == {"error": {"code": 501, "message": "Not Implemented"}}


async def test_generic_report_errors(admin_client, content, world):
    assert (await admin_client.post("/report", json=world.order("site"))).status_code == 401
    order = world.order("comment") | {"identifier": 98765432}
    response = await admin_client.post("/report", json=order, headers=world.user.headers)
    assert response.json() == {"error": {"code": 404, "message": "Not Found", "details": ["comment"]}}
    hidden = await content.world(content_state="pending")
    response = await admin_client.post("/report", json=hidden.order("memory"), headers=world.user.headers)
    assert response.json() == {"error": {"code": 404, "message": "Not Found", "details": ["site"]}}
    big = world.order("memory") | {"identifier": 2**80}
    response = await admin_client.post("/report", json=big, headers=world.user.headers)
    assert response.json()["error"]["details"] == ["memory"]


async def test_more_reports_than_the_threshold_hide_the_item_at_once(admin_client, app_state, content, make_user,
                                                                     world):
    threshold = app_state.settings.report_hide_threshold
    reporters = [await make_user() for _ in range(threshold + 1)]
    before = await content.generation(world.project_id)
    for reporter in reporters[:threshold]:
        await admin_client.put(f"{world.memory_path}/report", headers=reporter.headers)
    assert await content.state_of("memory", world.memory) == "published"
    await admin_client.put(f"{world.memory_path}/report", headers=reporters[-1].headers)
    assert await content.state_of("memory", world.memory) == "hidden"
    assert await content.generation(world.project_id) != before
    assert ("auto_hide", None, "memory", str(world.memory)) in await content.audit_actions(world.project_id)


async def test_worker_job_hides_items_over_the_threshold(app_state, content, make_user, world):
    threshold = app_state.settings.report_hide_threshold
    async with app_state.db.transaction() as conn:
        for _ in range(threshold + 1):
            reporter = await make_user()
            await moderation.add_report(conn, "comment", world.comment, reporter.id, None)
    assert await content.state_of("comment", world.comment) == "published"
    ctx = WorkerContext(settings=app_state.settings, db=app_state.db, redis=app_state.redis,
                        sessions=app_state.sessions)
    await moderation.auto_hide_reported(ctx)
    assert await content.state_of("comment", world.comment) == "hidden"


async def test_reporting_is_rate_limited_per_user(admin_client, content, world):
    from muistot_admin.routes.reports import REPORTS_PER_USER

    site, site_id = await content.insert_site(world.project_id)
    memories = [await content.insert_memory(site_id) for _ in range(REPORTS_PER_USER.max + 1)]
    statuses = [(await admin_client.put(f"/projects/{world.project}/sites/{site}/memories/{memory}/report",
                                        headers=world.author.headers)).status_code for memory in memories]
    assert statuses[:-1] == [204] * REPORTS_PER_USER.max
    assert statuses[-1] == 429
