"""Who sees what: every read endpoint × role × published/unpublished item and parent (docs/contract.md,
"Visibility")."""

from __future__ import annotations

import pytest

ROLES = ["anonymous", "other", "owner", "admin", "moderator", "superuser"]
STAFF = {"admin", "moderator", "superuser"}


def expect(allowed: set[str]) -> dict[str, int]:
    return {role: 200 if role in allowed else 404 for role in ROLES}


async def statuses(data, path: str, world) -> dict[str, int]:
    headers = world.headers
    return {role: (await data.get(path, headers=headers[role])).status_code for role in ROLES}


async def test_project_visibility(data, world, content):
    hidden, _ = await content.project(published=False, admins=(world.admin,), moderators=(world.moderator,))
    assert await statuses(data, f"/projects/{world.project}", world) == expect(set(ROLES))
    assert await statuses(data, f"/projects/{hidden}", world) == expect(STAFF)
    response = await data.get(f"/projects/{hidden}")
    assert response.json() == {"error": {"code": 404, "message": "Project not found"}}


async def test_site_single_by_state_and_parent(data, world, content):
    published, _ = await content.site(world.project_id, creator=world.owner)
    pending, _ = await content.site(world.project_id, creator=world.owner, state="pending")
    rejected, _ = await content.site(world.project_id, creator=world.owner, state="rejected")
    base = f"/projects/{world.project}/sites"
    assert await statuses(data, f"{base}/{published}", world) == expect(set(ROLES))
    assert await statuses(data, f"{base}/{pending}", world) == expect(STAFF | {"owner"})
    assert await statuses(data, f"{base}/{rejected}", world) == expect(STAFF | {"owner"})
    body = (await data.get(f"{base}/{pending}", headers=world.owner.headers)).json()
    assert body["own"] is True and body["waiting_approval"] is True
    assert (await data.get(f"{base}/{pending}")).json()["error"]["message"] == "Site not found"
    # Under an unpublished project: the creator (owner of the target) and staff still read it.
    hidden, hidden_id = await content.project(published=False, admins=(world.admin,), moderators=(world.moderator,))
    site, _ = await content.site(hidden_id, creator=world.owner)
    assert await statuses(data, f"/projects/{hidden}/sites/{site}", world) == expect(STAFF | {"owner"})


async def test_memory_and_comment_single(data, world, content):
    site, site_id = await content.site(world.project_id, creator=world.admin)
    published = await content.memory(site_id, author=world.owner)
    pending = await content.memory(site_id, author=world.owner, state="pending")
    base = f"/projects/{world.project}/sites/{site}/memories"
    assert await statuses(data, f"{base}/{published}", world) == expect(set(ROLES))
    assert await statuses(data, f"{base}/{pending}", world) == expect(STAFF | {"owner"})
    assert (await data.get(f"{base}/{pending}")).json()["error"]["message"] == "Memory not found"
    comment = await content.comment(published, author=world.owner, state="pending")
    assert await statuses(data, f"{base}/{published}/comments/{comment}", world) == expect(STAFF | {"owner"})
    # A published memory of the owner under an unpublished site: the author keeps access.
    hidden_site, hidden_site_id = await content.site(world.project_id, creator=world.admin, state="pending")
    mine = await content.memory(hidden_site_id, author=world.owner)
    path = f"/projects/{world.project}/sites/{hidden_site}/memories/{mine}"
    assert await statuses(data, path, world) == expect(STAFF | {"owner"})
    assert (await data.get(path, headers=world.other.headers)).json()["error"]["message"] == "Site not found"
    # Comments under an unpublished memory: 404 "Memory not found" for outsiders.
    theirs = await content.comment(pending, author=world.other)
    path = f"{base}/{pending}/comments/{theirs}"
    assert (await data.get(path)).json()["error"]["message"] == "Memory not found"
    assert (await data.get(path, headers=world.other.headers)).status_code == 200  # own target


async def test_lists_show_published_plus_own_and_everything_to_staff(data, world, content):
    site, site_id = await content.site(world.project_id, creator=world.admin)
    await content.site(world.project_id, creator=world.owner, state="pending")
    await content.site(world.project_id, creator=world.other, state="hidden")
    headers = world.headers
    counts = {}
    for role in ROLES:
        body = (await data.get(f"/projects/{world.project}/sites", headers=headers[role])).json()
        counts[role] = len(body["items"])
    assert counts == {"anonymous": 1, "other": 2, "owner": 2, "admin": 3, "moderator": 3, "superuser": 3}
    # Counts are of published children only, whoever asks.
    for role in ROLES:
        body = (await data.get(f"/projects/{world.project}", headers=headers[role])).json()
        assert body["sites_count"] == 1

    memory = await content.memory(site_id, author=world.owner)
    await content.memory(site_id, author=world.owner, state="pending")
    await content.memory(site_id, author=world.other, state="pending")
    await content.comment(memory, author=world.owner)
    await content.comment(memory, author=world.owner, state="pending")
    await content.comment(memory, author=world.other, state="pending")
    memory_counts, comment_counts = {}, {}
    for role in ROLES:
        memories = (await data.get(f"/projects/{world.project}/sites/{site}/memories",
                                   headers=headers[role])).json()["items"]
        memory_counts[role] = len(memories)
        assert {item["comments_count"] for item in memories if item["id"] == memory} == {1}
        found = (await data.get(f"/projects/{world.project}/sites/{site}/memories/{memory}/comments",
                                headers=headers[role])).json()["items"]
        comment_counts[role] = len(found)
    assert memory_counts == {"anonymous": 1, "other": 2, "owner": 2, "admin": 3, "moderator": 3, "superuser": 3}
    assert comment_counts == {"anonymous": 1, "other": 2, "owner": 2, "admin": 3, "moderator": 3, "superuser": 3}
    site_body = (await data.get(f"/projects/{world.project}/sites/{site}")).json()
    assert site_body["memories_count"] == 1


async def test_flags_per_role(data, world, content):
    site, site_id = await content.site(world.project_id, creator=world.owner)
    mine_published = await content.memory(site_id, author=world.owner)
    mine_pending = await content.memory(site_id, author=world.owner, state="pending")
    path = f"/projects/{world.project}/sites/{site}/memories"

    def by_id(body):
        return {item["id"]: item for item in body["items"]}

    anonymous = by_id((await data.get(path)).json())
    assert "own" not in anonymous[mine_published] and "waiting_approval" not in anonymous[mine_published]
    owner = by_id((await data.get(path, headers=world.owner.headers)).json())
    assert owner[mine_published]["own"] is True and owner[mine_published]["waiting_approval"] is False
    assert owner[mine_pending]["waiting_approval"] is True
    other = by_id((await data.get(path, headers=world.other.headers)).json())
    assert other[mine_published]["own"] is False and "waiting_approval" not in other[mine_published]
    admin = by_id((await data.get(path, headers=world.admin.headers)).json())
    assert admin[mine_pending] | {} and admin[mine_pending]["waiting_approval"] is True
    assert "waiting_approval" not in admin[mine_published] and admin[mine_published]["own"] is False
    sites = (await data.get(f"/projects/{world.project}/sites", headers=world.other.headers)).json()["items"]
    assert all("own" not in item for item in sites)


async def test_admin_of_one_project_sees_nothing_extra_elsewhere(data, world, content, make_user):
    elsewhere_admin = await make_user()
    _, _ = await content.project(admins=(elsewhere_admin,))
    hidden, _ = await content.project(published=False)
    pending, _ = await content.site(world.project_id, creator=world.owner, state="pending")
    listed = {item["id"] for item in (await data.get("/projects", headers=elsewhere_admin.headers)).json()["items"]}
    assert hidden not in listed and world.project in listed
    assert (await data.get(f"/projects/{hidden}", headers=elsewhere_admin.headers)).status_code == 404
    path = f"/projects/{world.project}/sites/{pending}"
    assert (await data.get(path, headers=elsewhere_admin.headers)).status_code == 404
    staff_list = {item["id"] for item in (await data.get("/projects", headers=world.superuser.headers)).json()["items"]}
    assert hidden in staff_list


async def test_date_window(data, world, content):
    from datetime import timedelta

    from muistot.db.engine import utcnow

    now = utcnow()
    ended, _ = await content.project(ends=now - timedelta(days=1), admins=(world.admin,))
    future, _ = await content.project(starts=now + timedelta(days=1), admins=(world.admin,))
    running, _ = await content.project(starts=now - timedelta(days=1), ends=now + timedelta(days=1))
    listed = {item["id"] for item in (await data.get("/projects")).json()["items"]}
    assert running in listed and ended not in listed and future not in listed
    assert (await data.get(f"/projects/{ended}")).status_code == 404
    assert (await data.get(f"/projects/{ended}", headers=world.admin.headers)).status_code == 200
    assert (await data.get(f"/projects/{future}/sites")).json()["error"]["message"] == "Project not found"


@pytest.mark.parametrize("include", ["true", "false"])
async def test_include_memories_for_creator_of_unpublished_site(data, world, content, include):
    site, site_id = await content.site(world.project_id, creator=world.owner, state="pending")
    memory = await content.memory(site_id, author=world.owner, state="pending")
    response = await data.get(f"/projects/{world.project}/sites/{site}?include_memories={include}",
                              headers=world.owner.headers)
    assert response.status_code == 200
    body = response.json()
    assert body["memories_count"] == 0
    if include == "true":
        assert [item["id"] for item in body["memories"]] == [memory]
    else:
        assert "memories" not in body


async def test_include_comments_uses_the_callers_visibility(data, world, content):
    site, site_id = await content.site(world.project_id, creator=world.admin)
    memory = await content.memory(site_id, author=world.owner, state="pending")
    own_pending = await content.comment(memory, author=world.owner, state="pending")
    published = await content.comment(memory, author=world.other)
    path = f"/projects/{world.project}/sites/{site}/memories/{memory}?include_comments=true"
    body = (await data.get(path, headers=world.owner.headers)).json()
    assert [item["id"] for item in body["comments"]] == [own_pending, published]
    listing = (await data.get(f"/projects/{world.project}/sites/{site}/memories?include_comments=true",
                              headers=world.admin.headers)).json()
    assert [c["id"] for c in listing["items"][0]["comments"]] == [own_pending, published]
    assert "comments" not in (await data.get(path.split("?")[0], headers=world.owner.headers)).json()


async def test_deleted_author_is_omitted(data, world, content, make_user, db):
    from sqlalchemy import delete

    from muistot.db.tables import users

    gone = await make_user()
    site, site_id = await content.site(world.project_id, creator=gone)
    memory = await content.memory(site_id, author=gone)
    async with db.transaction() as conn:
        await conn.execute(delete(users).where(users.c.id == gone.id))
    body = (await data.get(f"/projects/{world.project}/sites/{site}/memories/{memory}")).json()
    assert "user" not in body and body["id"] == memory
    assert "creator" not in (await data.get(f"/projects/{world.project}/sites/{site}")).json()
