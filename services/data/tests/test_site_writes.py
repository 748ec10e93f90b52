"""Creating, patching and deleting sites by each role."""

from __future__ import annotations

from sqlalchemy import func, select

from muistot.db.tables import memories, site_information, sites


def new_site(site_id: str, lang: str = "fi", **extra) -> dict:
    return {"id": site_id, "info": {"lang": lang, "name": f"Nimi {site_id}", "abstract": "  lyhyt  "},
            "location": {"lat": -33.9, "lon": 18.4}, **extra}


async def test_create_site(data, world, content):
    path = f"/projects/{world.project}/sites"
    assert (await data.post(path, json=new_site("site-anon"))).status_code == 401
    invalid = await data.post(path, json={"id": "x"})
    assert invalid.status_code == 422 and invalid.json()["error"]["message"] == "request validation error"
    response = await data.post(path, json=new_site("  Vanha-Mylly "), headers=world.owner.headers)
    assert response.status_code == 201 and response.content == b""
    assert response.headers["location"] == f"http://testserver/projects/{world.project}/sites/Vanha-Mylly"
    # New sites wait for approval in projects without auto-publish.
    assert (await data.get(f"{path}/Vanha-Mylly")).status_code == 404
    body = (await data.get(f"{path}/vanha-mylly", headers=world.owner.headers)).json()
    assert body["id"] == "Vanha-Mylly" and body["waiting_approval"] is True and body["own"] is True
    assert body["info"] == {"lang": "fi", "name": "Nimi   Vanha-Mylly", "abstract": "lyhyt"}  # trimmed
    assert body["location"] == {"lat": -33.9, "lon": 18.4}
    # Same id in another case or with accents: taken.
    again = await data.post(path, json=new_site("VANHA-MYLLY"), headers=world.other.headers)
    assert again.status_code == 409 and again.json()["error"]["message"] == "Site exists"


async def test_create_site_in_auto_publish_project_and_other_language(data, world, content, db):
    name, project_id = await content.project(auto_publish=True)
    response = await data.post(f"/projects/{name}/sites", json=new_site("english-site", lang="eng"),
                               headers=world.owner.headers)
    assert response.status_code == 201
    body = (await data.get(f"/projects/{name}/sites/english-site")).json()
    assert "waiting_approval" not in body and body["info"]["lang"] == "fi"
    assert body["info"]["name"] == "Nimi english-site"
    assert (await data.get(f"/projects/{name}/sites/english-site",
                           headers={"Accept-Language": "en"})).json()["info"]["abstract"] == "lyhyt"
    async with db.connect() as conn:
        langs = set(await conn.scalars(select(site_information.c.lang).join(sites).where(
            sites.c.project_id == project_id)))
    assert langs == {"fi", "en"}


async def test_create_site_refusals(data, world, content):
    path = f"/projects/{world.project}/sites"
    unsupported = await data.post(path, json=new_site("swedish", lang="sv"), headers=world.owner.headers)
    assert unsupported.status_code == 406 and unsupported.json()["error"]["message"] == "Language not supported"
    no_alpha2 = await data.post(path, json=new_site("achinese", lang="ace"), headers=world.owner.headers)
    assert no_alpha2.status_code == 422 and no_alpha2.json()["error"]["errors"][0] == {
        "loc": ["body", "info", "lang"], "msg": "No ISO639-1 ID Found", "type": "value_error"}
    bad_point = await data.post(path, json=new_site("far-away") | {"location": {"lat": 91, "lon": 0}},
                                headers=world.owner.headers)
    assert bad_point.status_code == 422
    admin_only, _ = await content.project(admin_posting=True, admins=(world.admin,))
    refused = await data.post(f"/projects/{admin_only}/sites", json=new_site("by-user"), headers=world.owner.headers)
    assert refused.status_code == 403 and refused.json()["error"]["message"] == "Admin posting only"
    allowed = await data.post(f"/projects/{admin_only}/sites", json=new_site("by-admin"), headers=world.admin.headers)
    assert allowed.status_code == 201
    hidden, _ = await content.project(published=False, admins=(world.admin,))
    missing = await data.post(f"/projects/{hidden}/sites", json=new_site("hidden-1"), headers=world.owner.headers)
    assert missing.status_code == 404 and missing.json()["error"]["message"] == "Project not found"
    assert (await data.post(f"/projects/{hidden}/sites", json=new_site("hidden-2"),
                            headers=world.admin.headers)).status_code == 201


async def test_patch_site_by_role(data, world, content):
    site, _ = await content.site(world.project_id, creator=world.owner)
    pending, _ = await content.site(world.project_id, creator=world.owner, state="pending")
    path = f"/projects/{world.project}/sites/{site}"
    move = {"location": {"lat": 61.5, "lon": 23.8}}
    assert (await data.patch(path, json=move)).status_code == 401
    assert (await data.patch(path, json=move, headers=world.other.headers)).status_code == 403
    assert (await data.patch(f"/projects/{world.project}/sites/{pending}", json=move,
                             headers=world.other.headers)).status_code == 404
    assert (await data.patch(path, json={}, headers=world.owner.headers)).status_code == 304
    assert (await data.patch(path, json={"info": None}, headers=world.owner.headers)).status_code == 304
    response = await data.patch(path, json=move, headers=world.owner.headers)
    assert response.status_code == 204 and response.headers["location"].endswith(f"/sites/{site}")
    for staff in (world.moderator, world.admin, world.superuser):
        assert (await data.patch(path, json=move, headers=staff.headers)).status_code == 204
    body = (await data.get(path)).json()
    assert body["location"] == {"lat": 61.5, "lon": 23.8}
    assert body["info"]["name"] == f"Paikka {site}"  # untouched: only the fields sent change
    english = {"info": {"lang": "en", "name": "Old mill", "abstract": "Short"}}
    assert (await data.patch(path, json=english, headers=world.owner.headers)).status_code == 204
    assert (await data.get(path, headers={"Accept-Language": "en"})).json()["info"] == {
        "lang": "en", "name": "Old mill", "abstract": "Short"}
    assert (await data.get(path)).json()["info"]["name"] == f"Paikka {site}"
    swedish = await data.patch(path, json={"info": {"lang": "sv", "name": "Kvarn"}}, headers=world.owner.headers)
    assert swedish.status_code == 406
    null_location = await data.patch(path, json={"location": None}, headers=world.owner.headers)
    assert null_location.status_code == 422
    assert null_location.json()["error"]["errors"][0]["msg"] == "Null location is not permitted"


async def test_patch_site_in_admin_posting_project(data, world, content):
    name, project_id = await content.project(admin_posting=True, admins=(world.admin,))
    site, _ = await content.site(project_id, creator=world.owner)
    path = f"/projects/{name}/sites/{site}"
    refused = await data.patch(path, json={"location": {"lat": 1, "lon": 1}}, headers=world.owner.headers)
    assert refused.status_code == 403 and refused.json()["error"]["message"] == "Admin posting only"
    assert (await data.patch(path, json={"location": {"lat": 1, "lon": 1}},
                             headers=world.admin.headers)).status_code == 204
    # Anyone who can see the site hears the project's rule, not a generic refusal (docs/contract.md, "Visibility").
    other = await data.patch(path, json={"info": {"lang": "fi", "name": "x"}}, headers=world.other.headers)
    assert other.status_code == 403 and other.json()["error"]["message"] == "Admin posting only"
    pending, _ = await content.site(project_id, creator=world.admin, state="pending")
    hidden = await data.patch(f"/projects/{name}/sites/{pending}", json={"info": {"lang": "fi", "name": "x"}},
                              headers=world.other.headers)
    assert hidden.status_code == 404 and hidden.json()["error"]["message"] == "Site not found"


async def test_delete_site_by_role(data, world, content, db):
    site, site_id = await content.site(world.project_id, creator=world.owner)
    await content.memory(site_id, author=world.other)
    path = f"/projects/{world.project}/sites/{site}"
    assert (await data.delete(path)).status_code == 401
    for refused in (world.other, world.moderator):
        response = await data.delete(path, headers=refused.headers)
        assert response.status_code == 403
        assert response.json()["error"]["message"].startswith("Not enough privileges")
    response = await data.delete(path, headers=world.owner.headers)
    assert response.status_code == 204
    assert response.headers["location"] == f"http://testserver/projects/{world.project}/sites"
    assert (await data.get(path, headers=world.admin.headers)).status_code == 404
    async with db.connect() as conn:
        assert await conn.scalar(select(func.count()).select_from(memories).where(memories.c.site_id == site_id)) == 0
    for staff in (world.admin, world.superuser):
        other_site, _ = await content.site(world.project_id, creator=world.owner, state="pending")
        assert (await data.delete(f"/projects/{world.project}/sites/{other_site}",
                                  headers=staff.headers)).status_code == 204
    pending, _ = await content.site(world.project_id, creator=world.owner, state="pending")
    assert (await data.delete(f"/projects/{world.project}/sites/{pending}",
                              headers=world.other.headers)).status_code == 404
