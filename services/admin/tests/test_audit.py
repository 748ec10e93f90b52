"""`GET /admin/audit`: every admin action is recorded and readable by the project's staff."""

import pytest


async def audit(client, user, **params):
    return await client.get("/admin/audit", params=params, headers=user.headers if user else {})


@pytest.mark.parametrize(("caller", "status"), [("anonymous", 401), ("user", 403), ("author", 403),
                                                ("other_admin", 403), ("moderator", 200), ("admin", 200),
                                                ("superuser", 200)])
async def test_audit_by_role(admin_client, world, caller, status):
    response = await audit(admin_client, world.role(caller), project=world.project)
    assert response.status_code == status


async def test_audit_shows_each_action_newest_first(admin_client, content, world):
    client, admin = admin_client, world.admin.headers
    await client.post(f"{world.site_path}/publish?publish=false", headers=world.moderator.headers)
    await client.post("/admin/publish", json=world.order("site"), headers=admin)
    await client.post(f"{world.project_path}/moderators?username={world.user.username}", headers=admin)
    await client.delete(f"{world.project_path}/moderators?username={world.user.username}", headers=admin)
    await client.put(f"{world.comment_path}/report", json={"reason": "spam"}, headers=world.user.headers)
    await client.post(f"/admin/queue/comment/{world.comment}/decision", json={"action": "clear_reports"},
                      headers=admin)
    await client.delete(world.project_path, headers=admin)

    body = (await audit(client, world.moderator, project=world.project)).json()
    assert body["next"] is None
    actions = [(entry["action"], entry["actor"], entry["target"]) for entry in body["items"]]
    assert actions == [
        ("delete", world.admin.username, {"type": "project", "id": world.project}),
        ("clear_reports", world.admin.username, {"type": "comment", "id": str(world.comment)}),
        ("remove_moderator", world.admin.username, {"type": "user", "id": world.user.username}),
        ("add_moderator", world.admin.username, {"type": "user", "id": world.user.username}),
        ("publish", world.admin.username, {"type": "site", "id": world.site}),
        ("unpublish", world.moderator.username, {"type": "site", "id": world.site}),
    ]
    unpublish = body["items"][-1]
    assert unpublish["before"] == {"state": "published"} and unpublish["after"] == {"state": "pending"}
    assert unpublish["project"] == world.project
    assert "time" in unpublish


async def test_audit_pages_and_scopes(admin_client, content, world):
    for flag in ("false", "true", "false"):
        await admin_client.post(f"{world.memory_path}/publish?publish={flag}", headers=world.admin.headers)
    first = (await audit(admin_client, world.admin, project=world.project, limit=2)).json()
    assert [entry["action"] for entry in first["items"]] == ["unpublish", "publish"]
    rest = (await audit(admin_client, world.admin, project=world.project, limit=2, cursor=first["next"])).json()
    assert [entry["action"] for entry in rest["items"]] == ["unpublish"] and rest["next"] is None
    # Without `project=`, staff see their projects' entries and a superuser sees everything.
    mine = (await audit(admin_client, world.admin, limit=200)).json()["items"]
    assert {entry["project"] for entry in mine} == {world.project}
    everything = (await audit(admin_client, world.superuser, limit=200)).json()["items"]
    assert len(everything) >= 3
    other = (await audit(admin_client, world.other_admin, limit=200)).json()["items"]
    assert all(entry.get("project") != world.project for entry in other)


async def test_a_refused_action_leaves_no_entry(admin_client, content, world):
    before = await content.audit_actions(world.project_id)
    response = await admin_client.post(f"{world.project_path}/admins?username={world.admin.username}",
                                       headers=world.admin.headers)
    assert response.status_code == 409
    assert await content.audit_actions(world.project_id) == before
