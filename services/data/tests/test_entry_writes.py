"""Creating, patching and deleting memories and comments by each role."""

from __future__ import annotations


async def test_create_memory(data, world, content):
    site, _ = await content.site(world.project_id, creator=world.admin)
    path = f"/projects/{world.project}/sites/{site}/memories"
    assert (await data.post(path, json={"title": "Kesä"})).status_code == 401
    assert (await data.post(path, json={"story": "no title"}, headers=world.owner.headers)).status_code == 422
    response = await data.post(path, json={"title": " Kesä 1965 ", "story": "Tarina"}, headers=world.owner.headers)
    assert response.status_code == 201
    memory_id = int(response.headers["location"].rsplit("/", 1)[1])
    assert response.headers["location"] == f"http://testserver{path}/{memory_id}"
    assert (await data.get(f"{path}/{memory_id}")).status_code == 404
    body = (await data.get(f"{path}/{memory_id}", headers=world.owner.headers)).json()
    assert body["title"] == "Kesä 1965" and body["user"] == world.owner.username
    assert body["own"] is True and body["waiting_approval"] is True and body["comments_count"] == 0
    # Admin posting does not apply to memories; owning an unpublished site does not open it.
    own_pending, _ = await content.site(world.project_id, creator=world.owner, state="pending")
    refused = await data.post(f"/projects/{world.project}/sites/{own_pending}/memories", json={"title": "x"},
                              headers=world.owner.headers)
    assert refused.status_code == 404 and refused.json()["error"]["message"] == "Site not found"
    assert (await data.post(f"/projects/{world.project}/sites/{own_pending}/memories", json={"title": "x"},
                            headers=world.moderator.headers)).status_code == 201


async def test_memory_in_auto_publish_project_is_public(data, world, content):
    name, project_id = await content.project(auto_publish=True, admin_posting=True)
    site, _ = await content.site(project_id)
    response = await data.post(f"/projects/{name}/sites/{site}/memories", json={"title": ""},
                               headers=world.other.headers)
    assert response.status_code == 201
    assert (await data.get(response.headers["location"].replace("http://testserver", ""))).status_code == 200


async def test_patch_memory_only_by_author(data, world, content):
    site, site_id = await content.site(world.project_id, creator=world.admin)
    memory = await content.memory(site_id, author=world.owner, story="Vanha")
    pending = await content.memory(site_id, author=world.owner, state="pending")
    path = f"/projects/{world.project}/sites/{site}/memories/{memory}"
    for refused in (world.other, world.moderator, world.admin, world.superuser):
        assert (await data.patch(path, json={"title": "x"}, headers=refused.headers)).status_code == 403
    assert (await data.patch(f"/projects/{world.project}/sites/{site}/memories/{pending}", json={"title": "x"},
                             headers=world.other.headers)).status_code == 404
    assert (await data.patch(path, json={}, headers=world.owner.headers)).status_code == 304
    null_title = await data.patch(path, json={"title": None}, headers=world.owner.headers)
    assert null_title.status_code == 422
    response = await data.patch(path, json={"story": None}, headers=world.owner.headers)
    assert response.status_code == 204 and response.headers["location"] == f"http://testserver{path}"
    body = (await data.get(path)).json()
    assert "story" not in body and body["title"] == "Muisto" and "waiting_approval" not in body
    assert (await data.patch(path, json={"title": "Uusi"}, headers=world.owner.headers)).status_code == 204
    assert (await data.get(path)).json()["title"] == "Uusi"


async def test_delete_memory(data, world, content):
    site, site_id = await content.site(world.project_id, creator=world.admin)
    base = f"/projects/{world.project}/sites/{site}/memories"
    memory = await content.memory(site_id, author=world.owner)
    for refused in (world.other, world.moderator):
        assert (await data.delete(f"{base}/{memory}", headers=refused.headers)).status_code == 403
    response = await data.delete(f"{base}/{memory}", headers=world.owner.headers)
    assert response.status_code == 204 and response.headers["location"] == f"http://testserver{base}"
    assert (await data.get(f"{base}/{memory}", headers=world.owner.headers)).status_code == 404
    for staff in (world.admin, world.superuser):
        theirs = await content.memory(site_id, author=world.other, state="pending")
        assert (await data.delete(f"{base}/{theirs}", headers=staff.headers)).status_code == 204
    pending = await content.memory(site_id, author=world.owner, state="pending")
    assert (await data.delete(f"{base}/{pending}", headers=world.other.headers)).status_code == 404


async def test_comments_create_patch_delete(data, world, content):
    site, site_id = await content.site(world.project_id, creator=world.admin)
    memory = await content.memory(site_id, author=world.other)
    base = f"/projects/{world.project}/sites/{site}/memories/{memory}/comments"
    assert (await data.post(base, json={"comment": "hi"})).status_code == 401
    refused = await data.post(base, json={"comment": "a\u0000" + "b" * 2498}, headers=world.owner.headers)
    assert refused.status_code == 422
    assert refused.json()["error"]["errors"][0]["loc"] == ["body", "comment"]
    response = await data.post(base, json={"comment": "a\tb\nc\r\n" + "b" * 2493}, headers=world.owner.headers)
    assert response.status_code == 201
    comment = int(response.headers["location"].rsplit("/", 1)[1])
    assert (await data.post(base, json={"comment": "x" * 2501}, headers=world.owner.headers)).status_code == 422
    assert (await data.get(f"{base}/{comment}")).status_code == 404  # pending
    stored = (await data.get(f"{base}/{comment}", headers=world.owner.headers)).json()
    assert stored["comment"].startswith("a\tb\nc\r\n") and stored["waiting_approval"] is True
    # Outsiders cannot see the pending comment (404); staff can but may not edit it (403).
    for refused, status in ((world.other, 404), (world.admin, 403), (world.superuser, 403)):
        assert (await data.patch(f"{base}/{comment}", json={"comment": "x"},
                                 headers=refused.headers)).status_code == status
    assert (await data.patch(f"{base}/{comment}", json={}, headers=world.owner.headers)).status_code == 422
    edited = await data.patch(f"{base}/{comment}", json={"comment": "edited"}, headers=world.owner.headers)
    assert edited.status_code == 204 and edited.headers["location"] == f"http://testserver{base}/{comment}"
    # Moderators see everything but delete nobody's content.
    assert (await data.delete(f"{base}/{comment}", headers=world.moderator.headers)).status_code == 403
    assert (await data.delete(f"{base}/{comment}", headers=world.owner.headers)).status_code == 204
    assert (await data.get(f"{base}/{comment}", headers=world.owner.headers)).status_code == 404
    published = await content.comment(memory, author=world.owner)
    assert (await data.delete(f"{base}/{published}", headers=world.other.headers)).status_code == 403
    assert (await data.delete(f"{base}/{published}", headers=world.admin.headers)).status_code == 204


async def test_edited_comment_needs_review_unless_auto_publish(data, world, content):
    site, site_id = await content.site(world.project_id)
    memory = await content.memory(site_id)
    comment = await content.comment(memory, author=world.owner)
    path = f"/projects/{world.project}/sites/{site}/memories/{memory}/comments/{comment}"
    assert (await data.patch(path, json={"comment": "muokattu"}, headers=world.owner.headers)).status_code == 204
    assert (await data.get(path)).status_code == 404
    auto, auto_id = await content.project(auto_publish=True)
    site, site_id = await content.site(auto_id)
    memory = await content.memory(site_id)
    comment = await content.comment(memory, author=world.owner)
    path = f"/projects/{auto}/sites/{site}/memories/{memory}/comments/{comment}"
    assert (await data.patch(path, json={"comment": "muokattu"}, headers=world.owner.headers)).status_code == 204
    assert (await data.get(path)).json()["comment"] == "muokattu"


async def test_comments_need_a_published_chain(data, world, content):
    site, site_id = await content.site(world.project_id)
    pending_memory = await content.memory(site_id, author=world.owner, state="pending")
    path = f"/projects/{world.project}/sites/{site}/memories/{pending_memory}/comments"
    refused = await data.post(path, json={"comment": "x"}, headers=world.owner.headers)
    assert refused.status_code == 404 and refused.json()["error"]["message"] == "Memory not found"
    assert (await data.post(path, json={"comment": "x"}, headers=world.admin.headers)).status_code == 201
