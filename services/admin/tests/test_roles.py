"""Project admins and moderators: who may grant and revoke them, and that changes apply at once."""

import pytest

ROLE_PATHS = ["admins", "moderators"]
LABEL = {"admins": "an admin", "moderators": "a moderator"}


@pytest.mark.parametrize("role_path", ROLE_PATHS)
@pytest.mark.parametrize(("caller", "status"), [("anonymous", 401), ("user", 403), ("other_admin", 403),
                                                ("moderator", 403), ("admin", 201), ("superuser", 201)])
async def test_grant_by_role(admin_client, content, world, role_path, caller, status):
    target = await content.make_user()
    response = await admin_client.post(f"{world.project_path}/{role_path}?username={target.username}",
                                       headers=world.headers(caller))
    assert response.status_code == status
    if status == 201:
        assert response.headers["location"] == f"http://testserver{world.project_path}"
        assert response.content == b""


@pytest.mark.parametrize("role_path", ROLE_PATHS)
async def test_grant_twice_is_409_and_revoke_is_idempotent(admin_client, content, world, role_path):
    target = await content.make_user()
    url = f"{world.project_path}/{role_path}?username={target.username}"
    assert (await admin_client.post(url, headers=world.admin.headers)).status_code == 201
    response = await admin_client.post(url, headers=world.admin.headers)
    assert response.json() == {"error": {"code": 409, "message": f"User is already {LABEL[role_path]}"}}
    for _ in range(2):
        response = await admin_client.delete(url, headers=world.admin.headers)
        assert response.status_code == 204
        assert response.headers["location"] == f"http://testserver{world.project_path}"


@pytest.mark.parametrize("role_path", ROLE_PATHS)
async def test_unknown_and_invalid_usernames(admin_client, world, role_path):
    for method in ("post", "delete"):
        response = await admin_client.request(method.upper(), f"{world.project_path}/{role_path}?username=NoSuchUser",
                                              headers=world.admin.headers)
        assert response.json() == {"error": {"code": 404, "message": "User not found"}}
        response = await admin_client.request(method.upper(), f"{world.project_path}/{role_path}?username=a",
                                              headers=world.admin.headers)
        assert response.status_code == 422
        assert response.json()["error"]["errors"][0]["loc"] == ["query", "username"]


async def test_usernames_match_case_and_accent_insensitively(admin_client, content, world):
    target = await content.make_user(username=f"Äijä{world.project_id}x")
    url = f"{world.project_path}/moderators?username=aija{world.project_id}X"
    assert (await admin_client.post(url, headers=world.admin.headers)).status_code == 201
    actions = await content.audit_actions(world.project_id)
    assert ("add_moderator", world.admin.username, "user", target.username) in actions


async def test_missing_or_hidden_project(admin_client, content, world):
    response = await admin_client.post(f"/projects/nope-nope/admins?username={world.user.username}",
                                       headers=world.superuser.headers)
    assert response.json() == {"error": {"code": 404, "message": "Project not found"}}
    hidden = await content.world(project_published=False)
    response = await admin_client.post(f"{hidden.project_path}/admins?username={world.user.username}",
                                       headers=world.other_admin.headers)
    assert response.json() == {"error": {"code": 404, "message": "Project not found"}}


async def test_new_moderator_can_publish_on_the_next_request(admin_client, world):
    url = f"{world.site_path}/publish?publish=false"
    assert (await admin_client.post(url, headers=world.user.headers)).status_code == 403
    await admin_client.post(f"{world.project_path}/moderators?username={world.user.username}",
                            headers=world.admin.headers)
    assert (await admin_client.post(url, headers=world.user.headers)).status_code == 204
    # …but cannot manage roles or project settings.
    response = await admin_client.post(f"{world.project_path}/admins?username={world.author.username}",
                                       headers=world.user.headers)
    assert response.status_code == 403
    assert (await admin_client.delete(world.project_path, headers=world.user.headers)).status_code == 403


async def test_revoked_admin_loses_rights_on_the_next_request(admin_client, content, world):
    second = await content.make_user()
    await admin_client.post(f"{world.project_path}/admins?username={second.username}", headers=world.admin.headers)
    assert (await admin_client.post(f"{world.site_path}/publish?publish=false",
                                    headers=second.headers)).status_code == 204
    response = await admin_client.delete(f"{world.project_path}/admins?username={second.username}",
                                         headers=world.admin.headers)
    assert response.status_code == 204
    assert (await admin_client.post(f"{world.project_path}/publish?publish=false",
                                    headers=second.headers)).status_code == 403
    actions = [action for action, *_ in await content.audit_actions(world.project_id)]
    assert actions[-3:] == ["add_admin", "unpublish", "remove_admin"]


async def test_admin_may_remove_themself(admin_client, world):
    url = f"{world.project_path}/admins?username={world.admin.username}"
    assert (await admin_client.delete(url, headers=world.admin.headers)).status_code == 204
    assert (await admin_client.delete(url, headers=world.admin.headers)).status_code == 403


async def test_admin_changes_bump_the_cache_generation(admin_client, content, world):
    before = await content.generation(world.project_id)
    await admin_client.post(f"{world.project_path}/admins?username={world.user.username}",
                            headers=world.admin.headers)
    assert await content.generation(world.project_id) != before


@pytest.mark.parametrize("role_path", ROLE_PATHS)
async def test_concurrent_grants_give_one_201_and_the_contract_409(admin_client, content, world, role_path):
    import asyncio

    target = await content.make_user()
    url = f"{world.project_path}/{role_path}?username={target.username}"
    responses = await asyncio.gather(admin_client.post(url, headers=world.admin.headers),
                                     admin_client.post(url, headers=world.superuser.headers))
    assert sorted(response.status_code for response in responses) == [201, 409]
    refused = next(response for response in responses if response.status_code == 409)
    assert refused.json() == {"error": {"code": 409, "message": f"User is already {LABEL[role_path]}"}}
