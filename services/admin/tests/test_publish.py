"""Publishing: per-resource `…/publish?publish=` and `POST /admin/publish`, by role."""

from datetime import datetime

import pytest

from muistot.db.tables import project_admins, project_moderators

KINDS = ["project", "site", "memory", "comment"]
# The 403 of a caller who administers or moderates nothing (the original's missing `admin` scope,
# docs/contract.md "Quirks kept").
SCOPE_MISSING = {"error": {"code": 403, "message": "Unauthorized",
                           "details": ["Required (authenticated,admin)", "Got (authenticated)"]}}

# Who may unpublish a published item of each kind (the others get these statuses).
EXPECTED = {
    "anonymous": {"project": 401, "site": 401, "memory": 401, "comment": 401},
    "user": {"project": 403, "site": 403, "memory": 403, "comment": 403},
    "author": {"project": 403, "site": 403, "memory": 403, "comment": 403},
    "other_admin": {"project": 403, "site": 403, "memory": 403, "comment": 403},
    "moderator": {"project": 403, "site": 204, "memory": 204, "comment": 204},
    "admin": {"project": 204, "site": 204, "memory": 204, "comment": 204},
    "superuser": {"project": 204, "site": 204, "memory": 204, "comment": 204},
}


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("role", list(EXPECTED))
async def test_unpublish_by_role(admin_client, content, world, kind, role):
    response = await admin_client.post(f"{world.path(kind)}/publish?publish=false", headers=world.headers(role))
    assert response.status_code == EXPECTED[role][kind]
    stored = await content.state_of(kind, content.item_id(world, kind))
    if response.status_code == 204:
        assert response.headers["location"] == f"http://testserver{world.path(kind)}"
        assert stored in (False, "pending")
    else:
        assert response.json()["error"]["code"] == response.status_code
        assert stored in (True, "published")


@pytest.mark.parametrize("kind", KINDS)
async def test_publish_toggles_answer_204_then_304(admin_client, content, world, kind):
    headers = world.admin.headers
    assert (await admin_client.post(f"{world.path(kind)}/publish?publish=true", headers=headers)).status_code == 304
    assert (await admin_client.post(f"{world.path(kind)}/publish?publish=no", headers=headers)).status_code == 204
    assert (await admin_client.post(f"{world.path(kind)}/publish?publish=OFF", headers=headers)).status_code == 304
    response = await admin_client.post(f"{world.path(kind)}/publish?publish=True", headers=headers)
    assert response.status_code == 204
    assert response.content == b""
    assert await content.state_of(kind, content.item_id(world, kind)) in (True, "published")


@pytest.mark.parametrize(("value", "publish"), [
    ("true", True), ("FALSE", False), ("1", True), ("0", False), ("Yes", True), ("nO", False), ("ON", True),
    ("off", False), ("T", True), ("f", False), ("y", True), ("N", False)])
async def test_publish_flag_spellings(admin_client, content, world, value, publish):
    """Every spelling docs/contract.md ("Moderation orders") lists, in any case."""
    response = await admin_client.post(f"{world.site_path}/publish?publish={value}", headers=world.admin.headers)
    assert response.status_code == (304 if publish else 204)
    assert await content.state_of("site", world.site_id) == ("published" if publish else "pending")


@pytest.mark.parametrize("value", ["", "maybe", "2", "null", "truee"])
async def test_publish_flag_must_be_a_boolean(admin_client, world, value):
    response = await admin_client.post(f"{world.site_path}/publish?publish={value}", headers=world.admin.headers)
    assert response.status_code == 422
    assert response.json()["error"]["errors"][0]["loc"] == ["query", "publish"]


async def test_publish_flag_is_required_and_validated_before_auth(admin_client, world):
    response = await admin_client.post(f"{world.site_path}/publish")
    assert response.status_code == 422
    assert response.json()["error"]["message"] == "request validation error"


async def test_missing_items_are_404_with_their_type(admin_client, world):
    headers = world.superuser.headers
    cases = {
        "/projects/nope-nope/publish": "Project not found",
        f"{world.project_path}/sites/nope-nope/publish": "Site not found",
        f"{world.site_path}/memories/999999999/publish": "Memory not found",
        f"{world.site_path}/memories/{2**70}/publish": "Memory not found",
        f"{world.memory_path}/comments/999999999/publish": "Comment not found",
    }
    for path, message in cases.items():
        response = await admin_client.post(f"{path}?publish=true", headers=headers)
        assert response.status_code == 404, path
        assert response.json() == {"error": {"code": 404, "message": message}}


async def test_unpublished_items_are_404_for_those_who_cannot_see_them(admin_client, content):
    world = await content.world(content_state="pending")
    response = await admin_client.post(f"{world.memory_path}/publish?publish=true",
                                       headers=world.other_admin.headers)
    assert response.json()["error"]["message"] == "Site not found"
    # The author sees their own memory, so they are refused for lack of rights instead.
    response = await admin_client.post(f"{world.memory_path}/publish?publish=true", headers=world.author.headers)
    assert response.status_code == 403
    response = await admin_client.post(f"{world.memory_path}/publish?publish=true", headers=world.moderator.headers)
    assert response.status_code == 204


async def test_publishing_a_hidden_item_clears_its_reports(admin_client, content, app_state, world):
    from muistot import moderation

    async with app_state.db.transaction() as conn:
        await moderation.add_report(conn, "memory", world.memory, world.user.id, "spam")
    await admin_client.post(f"{world.memory_path}/publish?publish=false", headers=world.admin.headers)
    async with app_state.db.transaction() as conn:
        await conn.execute(moderation.CONTENT_TABLES["memory"].update()
                           .where(moderation.CONTENT_TABLES["memory"].c.id == world.memory).values(state="hidden"))
    # Unpublishing a hidden item changes nothing; publishing it is the moderator's verdict on its reports.
    response = await admin_client.post(f"{world.memory_path}/publish?publish=false", headers=world.admin.headers)
    assert response.status_code == 304
    response = await admin_client.post(f"{world.memory_path}/publish?publish=true", headers=world.admin.headers)
    assert response.status_code == 204
    async with app_state.db.connect() as conn:
        assert await moderation.open_report_count(conn, "memory", world.memory) == 0


async def test_a_removed_moderator_or_admin_loses_rights_on_the_next_request(admin_client, app_state, world):
    headers = {"moderator": world.moderator.headers, "admin": world.admin.headers}
    assert (await admin_client.post(f"{world.site_path}/publish?publish=false",
                                    headers=headers["moderator"])).status_code == 204
    async with app_state.db.transaction() as conn:
        await conn.execute(project_moderators.delete().where(project_moderators.c.user_id == world.moderator.id))
        await conn.execute(project_admins.delete().where(project_admins.c.user_id == world.admin.id))
    for role in ("moderator", "admin"):
        # They manage nothing any more: the missing (live) admin scope answers before anything else.
        for response in (await admin_client.post(f"{world.site_path}/publish?publish=true", headers=headers[role]),
                         await admin_client.post("/admin/publish", json=world.order("site"), headers=headers[role])):
            assert response.json() == SCOPE_MISSING


async def test_every_change_bumps_the_cache_generation(admin_client, content, world):
    before = await content.generation(world.project_id)
    await admin_client.post(f"{world.comment_path}/publish?publish=false", headers=world.moderator.headers)
    after_unpublish = await content.generation(world.project_id)
    assert after_unpublish != before
    await admin_client.post("/admin/publish", json=world.order("comment", publish=True), headers=world.admin.headers)
    assert await content.generation(world.project_id) != after_unpublish
    # An unchanged state is no write, so nothing needs invalidating.
    unchanged = await content.generation(world.project_id)
    await admin_client.post("/admin/publish", json=world.order("comment", publish=True), headers=world.admin.headers)
    assert await content.generation(world.project_id) == unchanged


@pytest.mark.parametrize("kind", KINDS)
async def test_admin_publish_order(admin_client, content, world, kind):
    headers = world.admin.headers
    response = await admin_client.post("/admin/publish", json=world.order(kind, publish=False), headers=headers)
    assert response.status_code == 204
    assert "location" not in response.headers
    assert await content.state_of(kind, content.item_id(world, kind)) in (False, "pending")
    response = await admin_client.post("/admin/publish", json=world.order(kind, publish=False), headers=headers)
    assert response.status_code == 304
    response = await admin_client.post("/admin/publish", json=world.order(kind), headers=headers)
    assert response.status_code == 204


async def test_admin_publish_accepts_ids_of_any_size(admin_client, content, world):
    site, site_id = await content.insert_site(world.project_id)
    memory = await content.insert_memory(site_id, memory_id=123456, author=world.author.id)
    comment = await content.insert_comment(memory, author=world.author.id)
    order = {"type": "comment", "identifier": comment,
             "parents": {"project": world.project, "site": site, "memory": memory}, "publish": False}
    response = await admin_client.post("/admin/publish", json=order, headers=world.moderator.headers)
    assert response.status_code == 204
    order = {"type": "memory", "identifier": memory, "parents": {"project": world.project, "site": site},
             "publish": False}
    assert (await admin_client.post("/admin/publish", json=order, headers=world.moderator.headers)).status_code == 204


@pytest.mark.parametrize(("role", "status"), [("anonymous", 401), ("user", 403), ("other_admin", 403),
                                              ("moderator", 204), ("admin", 204), ("superuser", 204)])
async def test_admin_publish_by_role(admin_client, world, role, status):
    response = await admin_client.post("/admin/publish", json=world.order("memory", publish=False),
                                       headers=world.headers(role))
    assert response.status_code == status
    if role == "user":
        assert response.json() == SCOPE_MISSING
    elif status == 403:
        assert response.json()["error"]["message"] == f"Unauthorized {world.role(role).username}"
        assert response.json()["error"]["details"] == [f"Order: {world.project}"]


async def test_admin_publish_project_needs_an_admin(admin_client, world):
    response = await admin_client.post("/admin/publish", json=world.order("project", publish=False),
                                       headers=world.moderator.headers)
    assert response.status_code == 403


async def test_admin_publish_missing_parts_are_404_with_details(admin_client, world):
    headers = world.superuser.headers
    orders = {
        "project": {"type": "project", "identifier": "nope-nope"},
        "site": {"type": "memory", "identifier": world.memory, "parents": {"project": world.project, "site": "nope"
                                                                           "-nope"}},
        "memory": {"type": "comment", "identifier": world.comment,
                   "parents": {"project": world.project, "site": world.site, "memory": 987654321}},
        "comment": {"type": "comment", "identifier": 987654321,
                    "parents": {"project": world.project, "site": world.site, "memory": world.memory}},
    }
    for kind, order in orders.items():
        response = await admin_client.post("/admin/publish", json=order, headers=headers)
        assert response.status_code == 404
        assert response.json() == {"error": {"code": 404, "message": "Not Found", "details": [kind]}}


@pytest.mark.parametrize(("order", "message"), [
    ({"type": "site", "identifier": "site-1"}, "Bad parents"),
    ({"type": "site", "identifier": "site-1", "parents": None}, "Bad parents"),
    ({"type": "site", "identifier": "site-1", "parents": {}}, "Incorrect parent count"),
    ({"type": "comment", "identifier": 5, "parents": {}}, "Incorrect parent count"),
    ({"type": "site", "identifier": "site-1", "parents": {"site": "abcd"}}, "Bad parents"),
    ({"type": "memory", "identifier": 5, "parents": {"project": "abcd"}}, "Incorrect parent count"),
    ({"type": "project", "identifier": "abcd", "parents": {"project": "abcd"}}, "Incorrect parent count"),
    ({"type": "memory", "identifier": "5", "parents": {"project": "abcd", "site": "efgh"}},
     "Wrong type for identifier"),
    ({"type": "site", "identifier": 5, "parents": {"project": "abcd"}}, "Wrong type for identifier"),
    ({"type": "comment", "identifier": 5, "parents": {"project": "abcd", "site": "efgh", "memory": "x"}},
     "Wrong type for memory"),
    ({"type": "site", "identifier": "site-1", "parents": {"project": 7}}, "Wrong type for project"),
    ({"type": "memory", "identifier": 0, "parents": {"project": "abcd", "site": "efgh"}},
     "Wrong type for identifier"),
    # Any JSON value of the wrong type is the same contract message, never a per-union-member error.
    ({"type": "memory", "identifier": 1.5, "parents": {"project": "abcd", "site": "efgh"}},
     "Wrong type for identifier"),
    ({"type": "memory", "identifier": True, "parents": {"project": "abcd", "site": "efgh"}},
     "Wrong type for identifier"),
    ({"type": "site", "identifier": None, "parents": {"project": "abcd"}}, "Wrong type for identifier"),
    ({"type": "site", "identifier": ["abcd"], "parents": {"project": "abcd"}}, "Wrong type for identifier"),
    ({"type": "site", "identifier": "site-1", "parents": {"project": None}}, "Wrong type for project"),
    ({"type": "memory", "identifier": 5, "parents": {"project": "abcd", "site": {"id": "efgh"}}},
     "Wrong type for site"),
])
async def test_admin_publish_order_validation(admin_client, world, order, message):
    response = await admin_client.post("/admin/publish", json=order, headers=world.admin.headers)
    assert response.status_code == 422
    error = response.json()["error"]["errors"][0]
    assert error["msg"] == message
    assert error["loc"] == ["body", "__root__"]


async def test_admin_publish_validates_before_auth(admin_client):
    response = await admin_client.post("/admin/publish", json={"type": "site", "identifier": "abcd"})
    assert response.status_code == 422


async def test_deleted_project_can_be_published_again(admin_client, content, world):
    response = await admin_client.delete(world.project_path, headers=world.admin.headers)
    assert response.status_code == 204
    assert response.headers["location"] == "http://testserver/projects"
    response = await admin_client.post(f"{world.project_path}/publish?publish=true", headers=world.admin.headers)
    assert response.status_code == 204
    assert await content.state_of("project", world.project_id) is True


@pytest.mark.parametrize("kind", ["memory", "comment"])
async def test_publish_toggles_update_modified_at(admin_client, app_state, content, service_client, world, kind):
    """`modified_at` follows every update of the row, publish toggles included (docs/contract.md, "Review states")."""
    from muistot import moderation

    table = moderation.CONTENT_TABLES[kind]
    async with app_state.db.transaction() as conn:
        await conn.execute(table.update().where(table.c.id == content.item_id(world, kind))
                           .values(modified_at=datetime(2001, 1, 1, 12, 0)))
    data = service_client("data")
    assert (await data.get(world.path(kind))).json()["modified_at"] == "2001-01-01T12:00:00Z"
    response = await admin_client.post(f"{world.path(kind)}/publish?publish=false", headers=world.moderator.headers)
    assert response.status_code == 204
    shown = (await data.get(world.path(kind), headers=world.admin.headers)).json()["modified_at"]
    assert shown > "2020-01-01T00:00:00"
