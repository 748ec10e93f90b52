"""`POST /projects`, `PATCH /projects/{p}`, `DELETE /projects/{p}` by role, with the contract's errors."""

import base64
import io
import secrets

import pytest
from PIL import Image
from sqlalchemy import func, select

from muistot.db.tables import project_admins, project_contact, project_information, projects


def png() -> str:
    out = io.BytesIO()
    Image.new("RGB", (4, 3), (200, 10, 10)).save(out, "PNG")
    return "data:image/png;base64," + base64.b64encode(out.getvalue()).decode()


def new_project(**extra):
    return {"id": f"new-{secrets.token_hex(4)}", "info": {"lang": "fi", "name": "Uusi hanke"}, **extra}


async def project_row(state, name):
    async with state.db.connect() as conn:
        return (await conn.execute(select(projects).where(projects.c.name == name))).mappings().first()


async def admin_ids(state, project_id):
    async with state.db.connect() as conn:
        rows = await conn.execute(select(project_admins.c.user_id).where(project_admins.c.project_id == project_id))
        return {row.user_id for row in rows}


@pytest.mark.parametrize(("caller", "status"), [("anonymous", 401), ("user", 403), ("admin", 403),
                                                ("moderator", 403), ("superuser", 201)])
async def test_create_by_role(admin_client, app_state, world, caller, status):
    body = new_project()
    response = await admin_client.post("/projects", json=body, headers=world.headers(caller))
    assert response.status_code == status
    row = await project_row(app_state, body["id"])
    assert (row is not None) == (status == 201)


async def test_create_stores_everything_unpublished(admin_client, app_state, content, world):
    body = new_project(admins=[world.user.username, world.author.username.lower()], auto_publish=True,
                       admin_posting=True, starts="2022-01-02T00:00:00+02:00", ends="2030-12-31T00:00:00",
                       contact={"contact_email": "Org@Example.COM", "has_research_permit": True,
                                "can_contact": False},
                       info={"lang": "eng", "name": " Memories ", "abstract": "Short"})
    response = await admin_client.post("/projects", json=body, headers=world.superuser.headers)
    assert response.status_code == 201
    assert response.headers["location"] == f"http://testserver/projects/{body['id']}"
    row = await project_row(app_state, body["id"])
    assert row["published"] is False or row["published"] == 0
    assert row["default_language"] == "en"
    assert bool(row["auto_publish"]) and bool(row["admin_posting"])
    assert row["starts"].isoformat() == "2022-01-01T22:00:00"
    assert await admin_ids(app_state, row["id"]) == {world.user.id, world.author.id}  # not the creator
    async with app_state.db.connect() as conn:
        info = (await conn.execute(select(project_information).where(
            project_information.c.project_id == row["id"]))).mappings().one()
        contact = (await conn.execute(select(project_contact).where(
            project_contact.c.project_id == row["id"]))).mappings().one()
    assert (info["lang"], info["name"], info["abstract"]) == ("en", "Memories", "Short")
    assert contact["contact_email"] == "Org@example.com"
    assert ("create", world.superuser.username, "project", body["id"]) in await content.audit_actions(row["id"])


async def test_create_errors(admin_client, app_state, world):
    headers = world.superuser.headers
    body = new_project()
    assert (await admin_client.post("/projects", json=body, headers=headers)).status_code == 201
    again = new_project(id=body["id"].upper())
    response = await admin_client.post("/projects", json=again, headers=headers)
    assert response.json() == {"error": {"code": 409, "message": "Project exists"}}

    response = await admin_client.post("/projects", json=new_project(info={"lang": "sv", "name": "x"}),
                                       headers=headers)
    assert response.json() == {"error": {"code": 406, "message": "Language not supported"}}

    failing = new_project(admins=[world.user.username, "NoSuchUser", "Ghost User"])
    response = await admin_client.post("/projects", json=failing, headers=headers)
    assert response.json() == {"error": {"code": 404, "message": "Admins not found",
                                         "details": ["NoSuchUser", "Ghost User"]}}
    assert await project_row(app_state, failing["id"]) is None  # nothing half-written

    response = await admin_client.post("/projects", json=new_project(image="bm90IGFuIGltYWdl"), headers=headers)
    assert response.json() == {"error": {"code": 400, "message": "Bad image"}}


@pytest.mark.parametrize(("body", "loc", "msg"), [
    ({"info": {"lang": "fi", "name": "x"}}, ["body", "id"], None),
    ({"id": "abcd-efg"}, ["body", "info"], None),
    (new_project(starts="2022-01-01"), ["body", "starts"], "Datetime requires a time part"),
    (new_project(starts="2022-02-01T00:00:00", ends="2022-01-01T00:00:00"), ["body", "__root__"],
     "Project end before start"),
    (new_project(admins=["Someone", "someone"]), ["body", "admins"], "Duplicate admins"),
    (new_project(info={"lang": "ace", "name": "x"}), ["body", "info", "lang"], "No ISO639-1 ID Found"),
    (new_project(id="a#b!"), ["body", "id"], None),
])
async def test_create_validation(admin_client, body, loc, msg):
    response = await admin_client.post("/projects", json=body)  # 422 comes before 401
    assert response.status_code == 422
    error = response.json()["error"]["errors"][0]
    assert error["loc"] == loc
    if msg:
        assert error["msg"] == msg


async def test_create_with_image(admin_client, app_state, world):
    body = new_project(image=png())
    assert (await admin_client.post("/projects", json=body, headers=world.superuser.headers)).status_code == 201
    assert (await project_row(app_state, body["id"]))["image_id"] is not None


async def test_any_user_may_create_when_configured(admin_client, app_state, world):
    app_state.settings.any_user_creates_projects = True
    try:
        body = new_project()
        response = await admin_client.post("/projects", json=body, headers=world.user.headers)
        assert response.status_code == 201
    finally:
        app_state.settings.any_user_creates_projects = False
    row = await project_row(app_state, body["id"])
    assert await admin_ids(app_state, row["id"]) == {world.user.id}
    # The creator administers it: they may publish it.
    response = await admin_client.post(f"/projects/{body['id']}/publish?publish=true", headers=world.user.headers)
    assert response.status_code == 204


@pytest.mark.parametrize(("caller", "status"), [("anonymous", 401), ("user", 403), ("author", 403),
                                                ("other_admin", 403), ("moderator", 403), ("admin", 204),
                                                ("superuser", 204)])
async def test_patch_by_role(admin_client, world, caller, status):
    response = await admin_client.patch(world.project_path, json={"auto_publish": True},
                                        headers=world.headers(caller))
    assert response.status_code == status
    if status == 204:
        assert response.headers["location"] == f"http://testserver{world.project_path}"


async def test_patch_of_unpublished_project_is_404_for_admins_of_other_projects(admin_client, content):
    world = await content.world(project_published=False)
    response = await admin_client.patch(world.project_path, json={"auto_publish": True},
                                        headers=world.other_admin.headers)
    assert response.json() == {"error": {"code": 404, "message": "Project not found"}}


async def test_patch_applies_every_field(admin_client, app_state, content, world):
    headers = world.admin.headers
    body = {"auto_publish": True, "admin_posting": True, "starts": "2021-01-01T12:00:00", "ends": None,
            "contact": {"has_research_permit": False, "can_contact": True},
            "info": {"lang": "en", "name": "English name"}, "default_language": "en", "image": png()}
    assert (await admin_client.patch(world.project_path, json=body, headers=headers)).status_code == 204
    row = await project_row(app_state, world.project)
    assert bool(row["auto_publish"]) and bool(row["admin_posting"])
    assert row["default_language"] == "en" and row["image_id"] is not None
    assert row["starts"].isoformat() == "2021-01-01T12:00:00"
    # Clearing: image and contact removed with null; info null changes nothing.
    response = await admin_client.patch(world.project_path, json={"image": None, "contact": None, "info": None},
                                        headers=headers)
    assert response.status_code == 204
    assert (await project_row(app_state, world.project))["image_id"] is None
    entries = await content.audit_actions(world.project_id)
    assert entries[-1] == ("update", world.admin.username, "project", world.project)


async def test_auto_publish_patch_changes_what_new_content_gets(admin_client, app_state, world):
    response = await admin_client.patch(world.project_path, json={"auto_publish": True}, headers=world.admin.headers)
    assert response.status_code == 204
    assert bool((await project_row(app_state, world.project))["auto_publish"]) is True
    response = await admin_client.patch(world.project_path, json={"auto_publish": False},
                                        headers=world.admin.headers)
    assert bool((await project_row(app_state, world.project))["auto_publish"]) is False


@pytest.mark.parametrize("body", [{}, {"info": None}, {"unknown": 1}])
async def test_patch_without_applicable_fields_is_304(admin_client, world, body):
    response = await admin_client.patch(world.project_path, json=body, headers=world.admin.headers)
    assert response.status_code == 304
    assert response.content == b""


async def test_patch_errors(admin_client, world):
    headers = world.admin.headers
    response = await admin_client.patch(world.project_path, json={"default_language": None}, headers=headers)
    assert response.json()["error"]["errors"][0]["msg"] == "Requires non null language"
    response = await admin_client.patch(world.project_path, json={"default_language": "sv"}, headers=headers)
    assert response.json() == {"error": {"code": 406, "message": "Language not supported"}}
    response = await admin_client.patch(world.project_path, json={"info": {"lang": "sv", "name": "x"}},
                                        headers=headers)
    assert response.json() == {"error": {"code": 406, "message": "Language not supported"}}
    response = await admin_client.patch(world.project_path, json={"default_language": "EN"}, headers=headers)
    assert response.json() == {"error": {"code": 409, "message": "Project has no texts in that language",
                                         "details": ["en"]}}
    response = await admin_client.patch(world.project_path, json={"image": "%%%"}, headers=headers)
    assert response.json() == {"error": {"code": 400, "message": "Bad image"}}
    response = await admin_client.patch("/projects/nope-nope", json={"auto_publish": True}, headers=headers)
    assert response.json() == {"error": {"code": 404, "message": "Project not found"}}


@pytest.mark.parametrize(("caller", "status"), [("anonymous", 401), ("user", 403), ("other_admin", 403),
                                                ("moderator", 403), ("admin", 204), ("superuser", 204)])
async def test_delete_by_role(admin_client, content, world, caller, status):
    response = await admin_client.delete(world.project_path, headers=world.headers(caller))
    assert response.status_code == status
    assert await content.state_of("project", world.project_id) is (status != 204)


async def test_delete_is_idempotent_and_hides_from_the_public(admin_client, content, world):
    for _ in range(2):
        response = await admin_client.delete(world.project_path, headers=world.admin.headers)
        assert response.status_code == 204
        assert response.headers["location"] == "http://testserver/projects"
    # Admins of other projects no longer see it; its admins still manage it.
    assert (await admin_client.delete(world.project_path, headers=world.other_admin.headers)).status_code == 404
    assert (await admin_client.delete("/projects/nope-nope", headers=world.admin.headers)).status_code == 404


async def test_a_failed_create_leaves_no_image_behind(admin_client, app_state, world):
    from muistot.db.tables import images
    from muistot.storage import storage_of

    directory = storage_of(app_state).directory
    files_before = set(directory.glob("*")) if directory.exists() else set()
    async with app_state.db.connect() as conn:
        rows_before = await conn.scalar(select(func.count()).select_from(images))
    body = new_project(image=png(), admins=["NoSuchUser"])  # the image is stored before the admins are found
    response = await admin_client.post("/projects", json=body, headers=world.superuser.headers)
    assert response.json() == {"error": {"code": 404, "message": "Admins not found", "details": ["NoSuchUser"]}}
    assert await project_row(app_state, body["id"]) is None
    async with app_state.db.connect() as conn:
        assert await conn.scalar(select(func.count()).select_from(images)) == rows_before
    assert (set(directory.glob("*")) if directory.exists() else set()) == files_before


async def test_a_failed_patch_changes_nothing(admin_client, app_state, world):
    before = await project_row(app_state, world.project)
    body = {"auto_publish": True, "contact": {"has_research_permit": True, "can_contact": True}, "image": png(),
            "info": {"lang": "fi", "name": "Uusi nimi"}, "default_language": "en"}  # no English texts: 409
    response = await admin_client.patch(world.project_path, json=body, headers=world.admin.headers)
    assert response.status_code == 409
    assert await project_row(app_state, world.project) == before
    async with app_state.db.connect() as conn:
        contacts = await conn.scalar(select(func.count()).select_from(project_contact)
                                     .where(project_contact.c.project_id == world.project_id))
        names = [row.name for row in await conn.execute(select(project_information.c.name)
                                                          .where(project_information.c.project_id == world.project_id))]
    assert contacts == 0
    assert "Uusi nimi" not in names


async def test_concurrent_creates_of_one_id_give_one_201_and_project_exists(admin_client, make_user, world):
    import asyncio

    second = await make_user(superuser=True)
    body = new_project()
    responses = await asyncio.gather(admin_client.post("/projects", json=body, headers=world.superuser.headers),
                                     admin_client.post("/projects", json=body, headers=second.headers))
    assert sorted(response.status_code for response in responses) == [201, 409]
    refused = next(response for response in responses if response.status_code == 409)
    assert refused.json() == {"error": {"code": 409, "message": "Project exists"}}
