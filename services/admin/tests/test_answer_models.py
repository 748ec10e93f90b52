"""The moderation lists answer what the models in their OpenAPI document describe, field for field."""

from __future__ import annotations

from muistot_admin.moderation_models import AuditEntries, Queue, Superusers
from muistot_tooling.testing.schemas import assert_described_by


async def test_queue_audit_and_superusers_are_described_by_their_models(admin_client, content, superuser):
    world = await content.world(content_state="pending")
    client, admin = admin_client, world.admin.headers
    published = await content.world()
    assert (await client.put(f"{published.comment_path}/report", json={"reason": "Asiaton"},
                             headers=published.user.headers)).status_code == 204
    await client.post(f"{world.project_path}/moderators?username={world.user.username}", headers=admin)
    # Each project's own queue: the global one's first page may hold other tests' items.
    queue = await client.get("/admin/queue", params={"project": world.project}, headers=superuser.headers)
    assert queue.status_code == 200
    assert {item["type"] for item in queue.json()["items"]} == {"site", "memory", "comment"}
    assert_described_by(Queue, queue.json())
    reported = await client.get("/admin/queue", params={"project": published.project}, headers=superuser.headers)
    assert any(item["reasons"] == ["Asiaton"] for item in reported.json()["items"])
    assert_described_by(Queue, reported.json())
    paged = await client.get("/admin/queue", params={"project": world.project, "limit": 1}, headers=superuser.headers)
    assert paged.json()["next"] is not None
    assert_described_by(Queue, paged.json())
    assert (await client.post(f"{world.site_path}/publish?publish=true", headers=admin)).status_code == 204
    audit = await client.get("/admin/audit", params={"project": world.project}, headers=admin)
    assert audit.status_code == 200
    entries = audit.json()["items"]
    assert {entry["action"] for entry in entries} >= {"add_moderator", "publish"}
    assert any("before" in entry for entry in entries)
    assert_described_by(AuditEntries, audit.json())
    superusers = await client.get("/admin/superusers", headers=superuser.headers)
    assert superuser.username in superusers.json()["items"]
    assert_described_by(Superusers, superusers.json())
