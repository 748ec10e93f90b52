"""The moderation queue: who sees it, what is in it, and deciding items there."""

import pytest
from redis.asyncio import Redis

from muistot import moderation
from muistot.mail.outbox import OUTBOX, outbox_cipher


async def queue(client, user, **params):
    response = await client.get("/admin/queue", params=params, headers=user.headers if user else {})
    return response


def keys(items):
    return [(item["type"], item["id"]) for item in items]


@pytest.mark.parametrize(("caller", "status"), [("anonymous", 401), ("user", 403), ("author", 403),
                                                ("other_admin", 403), ("moderator", 200), ("admin", 200),
                                                ("superuser", 200)])
async def test_queue_of_a_project_by_role(admin_client, content, caller, status):
    world = await content.world(content_state="pending")
    response = await queue(admin_client, world.role(caller), project=world.project)
    assert response.status_code == status
    if status == 200:
        body = response.json()
        assert keys(body["items"]) == [("site", world.site_id), ("memory", world.memory),
                                       ("comment", world.comment)]
        assert body["next"] is None
        memory = body["items"][1]
        assert memory["parents"] == {"project": world.project, "site": world.site}
        assert memory["identifier"] == world.memory
        assert memory["state"] == "pending"
        assert memory["user"] == world.author.username
        assert memory["summary"] == "Kesä 1965"
        assert memory["report_count"] == 0 and memory["reasons"] == []


async def test_queue_of_an_unpublished_project_is_404_for_outsiders(admin_client, content):
    world = await content.world(project_published=False)
    response = await queue(admin_client, world.user, project=world.project)
    assert response.json() == {"error": {"code": 404, "message": "Project not found"}}


async def test_queue_without_project_lists_the_callers_projects(admin_client, content):
    first = await content.world(content_state="pending")
    second = await content.world(content_state="pending")
    # The first world's moderator also moderates the second project.
    await admin_client.post(f"{second.project_path}/moderators?username={first.moderator.username}",
                            headers=second.admin.headers)
    seen = keys((await queue(admin_client, first.moderator, limit=200)).json()["items"])
    assert ("memory", first.memory) in seen and ("memory", second.memory) in seen
    seen = keys((await queue(admin_client, second.moderator, limit=200)).json()["items"])
    assert ("memory", second.memory) in seen and ("memory", first.memory) not in seen
    assert (await queue(admin_client, first.user)).status_code == 403


async def test_reported_items_appear_with_counts_and_reasons(admin_client, content, make_user, world):
    reporters = [await make_user() for _ in range(2)]
    await admin_client.put(f"{world.comment_path}/report", json={"reason": "Asiaton"}, headers=reporters[0].headers)
    await admin_client.put(f"{world.comment_path}/report", headers=reporters[1].headers)
    items = (await queue(admin_client, world.moderator, project=world.project)).json()["items"]
    assert keys(items) == [("comment", world.comment)]
    assert items[0]["state"] == "published"
    assert items[0]["report_count"] == 2
    assert items[0]["reasons"] == ["Asiaton"]


async def test_queue_filters_and_pages(admin_client, content):
    world = await content.world(content_state="pending")
    body = (await queue(admin_client, world.admin, project=world.project, type="memory")).json()
    assert keys(body["items"]) == [("memory", world.memory)]
    body = (await queue(admin_client, world.admin, project=world.project, state="hidden")).json()
    assert body["items"] == []
    first = (await queue(admin_client, world.admin, project=world.project, limit=2)).json()
    assert len(first["items"]) == 2 and first["next"]
    rest = (await queue(admin_client, world.admin, project=world.project, limit=2, cursor=first["next"])).json()
    assert keys(first["items"] + rest["items"]) == [("site", world.site_id), ("memory", world.memory),
                                                    ("comment", world.comment)]
    assert rest["next"] is None
    for bad in ({"type": "project"}, {"state": "gone"}, {"cursor": "bm90LWpzb24"}, {"limit": 0}):
        response = await queue(admin_client, world.admin, project=world.project, **bad)
        assert response.status_code == 422, bad


@pytest.mark.parametrize("kind", ["site", "memory", "comment"])
async def test_approve_publishes_and_leaves_the_queue(admin_client, content, kind):
    world = await content.world(content_state="pending")
    item = content.item_id(world, kind)
    before = await content.generation(world.project_id)
    response = await admin_client.post(f"/admin/queue/{kind}/{item}/decision", json={"action": "approve"},
                                       headers=world.moderator.headers)
    assert response.status_code == 204
    assert await content.state_of(kind, item) == "published"
    assert await content.generation(world.project_id) != before
    assert (kind, item) not in keys((await queue(admin_client, world.moderator, project=world.project))
                                    .json()["items"])
    response = await admin_client.post(f"/admin/queue/{kind}/{item}/decision", json={"action": "approve"},
                                       headers=world.moderator.headers)
    assert response.status_code == 304


async def test_hidden_item_can_be_restored_by_clearing_reports(admin_client, app_state, content, make_user, world):
    threshold = app_state.settings.report_hide_threshold
    for _ in range(threshold + 1):
        reporter = await make_user()
        await admin_client.put(f"{world.memory_path}/report", json={"reason": "boo"}, headers=reporter.headers)
    items = (await queue(admin_client, world.admin, project=world.project, state="hidden")).json()["items"]
    assert keys(items) == [("memory", world.memory)]
    assert items[0]["report_count"] == threshold + 1

    response = await admin_client.post(f"/admin/queue/memory/{world.memory}/decision",
                                       json={"action": "clear_reports", "reason": "Ei rikettä"},
                                       headers=world.admin.headers)
    assert response.status_code == 204
    assert await content.state_of("memory", world.memory) == "published"
    assert (await queue(admin_client, world.admin, project=world.project)).json()["items"] == []
    # The worker's safety net does not hide it again: cleared reports no longer count.
    async with app_state.db.connect() as conn:
        still_over = await moderation.over_threshold(conn, threshold)
    assert ("memory", world.memory, world.project_id) not in still_over
    actions = [action for action, *_ in await content.audit_actions(world.project_id)]
    assert actions[-2:] == ["auto_hide", "clear_reports"]


async def test_reject_mails_the_reason_to_the_author(admin_client, app_state, content, world):
    redis: Redis = app_state.redis.cache
    outbox = app_state.redis.key(OUTBOX)
    await redis.delete(outbox)
    response = await admin_client.post(f"/admin/queue/comment/{world.comment}/decision",
                                       json={"action": "reject", "reason": "Sisältää <b>mainoksen</b>"},
                                       headers=world.moderator.headers)
    assert response.status_code == 204
    assert await content.state_of("comment", world.comment) == "rejected"
    raw = await redis.lrange(outbox, 0, -1)
    assert all(b"mainoksen" not in item and world.author.email.encode() not in item for item in raw)  # encrypted
    queued = [outbox_cipher(app_state.settings.identity_secret).open(item) for item in raw]
    mine = [mail for mail in queued if mail.to == world.author.email]
    assert len(mine) == 1
    assert "Sisältää <b>mainoksen</b>" in mine[0].text
    # The author has no language of their own: the default (fi).
    assert mine[0].subject == "Muistotkartalla: kommenttiasi ei julkaistu"
    assert "&lt;b&gt;mainoksen&lt;/b&gt;" in mine[0].html
    entries = await content.audit_actions(world.project_id)
    assert entries[-1] == ("reject", world.moderator.username, "comment", str(world.comment))
    assert all(mail.kind == "moderation" for mail in mine)


@pytest.mark.parametrize(("caller", "status"), [("anonymous", 401), ("user", 403), ("author", 403),
                                                ("other_admin", 403), ("moderator", 204), ("admin", 204),
                                                ("superuser", 204)])
async def test_decision_by_role(admin_client, content, world, caller, status):
    response = await admin_client.post(f"/admin/queue/memory/{world.memory}/decision", json={"action": "reject"},
                                       headers=world.headers(caller))
    assert response.status_code == status


async def test_decision_errors(admin_client, world):
    headers = world.admin.headers
    response = await admin_client.post("/admin/queue/memory/99999999/decision", json={"action": "approve"},
                                       headers=headers)
    assert response.json() == {"error": {"code": 404, "message": "Memory not found"}}
    response = await admin_client.post(f"/admin/queue/memory/{2**70}/decision", json={"action": "approve"},
                                       headers=headers)
    assert response.status_code == 404
    for path, body in ((f"/admin/queue/project/{world.project_id}/decision", {"action": "approve"}),
                       (f"/admin/queue/memory/{world.memory}/decision", {"action": "delete"}),
                       (f"/admin/queue/memory/{world.memory}/decision", {"action": "reject", "reason": "x" * 1001}),
                       (f"/admin/queue/memory/{world.memory}/decision", {})):
        response = await admin_client.post(path, json=body, headers=headers)
        assert response.status_code == 422, (path, body)


async def test_rejection_mails_to_one_address_are_capped(admin_client, app_state, content, world):
    from muistot_admin.routes.queue import REJECTION_MAILS_PER_RECIPIENT

    redis: Redis = app_state.redis.cache
    outbox = app_state.redis.key(OUTBOX)
    await redis.delete(outbox)
    memories = [await content.insert_memory(world.site_id, author=world.author.id)
                for _ in range(REJECTION_MAILS_PER_RECIPIENT.max + 1)]
    for memory in memories:
        response = await admin_client.post(f"/admin/queue/memory/{memory}/decision",
                                           json={"action": "reject", "reason": "Mainos"},
                                           headers=world.moderator.headers)
        assert response.status_code == 204  # the decision applies, over the cap too
        assert await content.state_of("memory", memory) == "rejected"
    cipher = outbox_cipher(app_state.settings.identity_secret)
    queued = [cipher.open(item) for item in await redis.lrange(outbox, 0, -1)]
    assert len([mail for mail in queued if mail.to == world.author.email]) == REJECTION_MAILS_PER_RECIPIENT.max
