"""`GET /me/projects|sites|memories|comments`: roles and own content, with review state, paged."""

import pytest

from muistot.db.tables import project_admins, project_moderators


async def test_memories_and_comments_carry_url_ids_and_state(users, make_user, add_content):
    author = await make_user()
    made = await add_content(author, memories_count=2, comments_per_memory=2, published=False)
    memories = (await users.get("/me/memories", headers=author.headers)).json()
    assert memories["next"] is None
    assert [item["id"] for item in memories["items"]] == sorted(made["memories"], reverse=True)
    first = memories["items"][0]
    assert first["project"] == made["project"] and first["site"] == made["site"]
    assert first["state"] == "pending" and first["published"] is False and first["waiting_approval"] is True
    assert first["title"].startswith("Muisto")
    comments = (await users.get("/me/comments", headers=author.headers)).json()
    assert sorted(item["id"] for item in comments["items"]) == sorted(made["comments"])
    assert {item["memory"] for item in comments["items"]} == set(made["memories"])
    assert all(item["site"] == made["site"] and item["project"] == made["project"] for item in comments["items"])


async def test_sites_list_shows_the_default_language_title(users, make_user, add_content):
    author = await make_user()
    made = await add_content(author, memories_count=0)
    sites = (await users.get("/me/sites", headers=author.headers)).json()["items"]
    assert sites == [{
        "id": made["site"], "project": made["project"], "title": "Tori", "location": {"lat": 65.0, "lon": 25.5},
        "state": "published", "published": True, "waiting_approval": False,
        "created_at": sites[0]["created_at"], "modified_at": sites[0]["modified_at"],
    }]


async def test_other_peoples_content_is_not_listed(users, make_user, add_content):
    author, other = await make_user(), await make_user()
    await add_content(author)
    for kind in ("projects", "sites", "memories", "comments"):
        response = await users.get(f"/me/{kind}", headers=other.headers)
        assert response.status_code == 200
        assert response.json() == {"items": [], "next": None}


async def test_projects_list_roles(users, make_user, add_content):
    owner, person = await make_user(), await make_user()
    administered = await add_content(owner, memories_count=0)
    moderated = await add_content(owner, memories_count=0)
    both = await add_content(owner, memories_count=0)
    async with users.app.state.db.transaction() as conn:
        await conn.execute(project_admins.insert().values(project_id=administered["project_id"], user_id=person.id))
        await conn.execute(project_moderators.insert().values(project_id=moderated["project_id"], user_id=person.id))
        await conn.execute(project_admins.insert().values(project_id=both["project_id"], user_id=person.id))
        await conn.execute(project_moderators.insert().values(project_id=both["project_id"], user_id=person.id))
    items = (await users.get("/me/projects", headers=person.headers)).json()["items"]
    roles = {item["id"]: item["role"] for item in items}
    assert roles == {administered["project"]: "admin", moderated["project"]: "moderator", both["project"]: "admin"}
    assert all(item["title"].startswith("Projekti") and item["published"] is True for item in items)


async def test_pages_walk_every_item_once(users, make_user, add_content):
    author = await make_user()
    made = await add_content(author, memories_count=7, comments_per_memory=0)
    seen, cursor, pages = [], None, 0
    while True:
        params = {"limit": 3, **({"cursor": cursor} if cursor else {})}
        body = (await users.get("/me/memories", params=params, headers=author.headers)).json()
        seen += [item["id"] for item in body["items"]]
        pages += 1
        cursor = body["next"]
        if cursor is None:
            break
    assert pages == 3
    assert seen == sorted(made["memories"], reverse=True)


@pytest.mark.parametrize("params", [{"limit": 0}, {"limit": 500}, {"limit": "x"}, {"cursor": "%%%"},
                                    {"cursor": "WyJhIl0"}, {"cursor": "WzEsMl0"}])
async def test_bad_paging_is_422(users, make_user, params):
    user = await make_user()
    for kind in ("projects", "sites", "memories", "comments"):
        response = await users.get(f"/me/{kind}", params=params, headers=user.headers)
        assert response.status_code == 422
        assert response.json()["error"]["errors"][0]["loc"][:2] in (["query", "limit"], ["query", "cursor"])


@pytest.mark.parametrize("kind", ["projects", "sites", "memories", "comments"])
async def test_own_content_needs_a_session(users, kind):
    assert (await users.get(f"/me/{kind}")).status_code == 401
