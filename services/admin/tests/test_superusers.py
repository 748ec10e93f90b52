"""`/admin/superusers`: list, grant, revoke; live checks and session rewrites."""

import pytest
from sqlalchemy import delete

from muistot.db.tables import superusers


@pytest.mark.parametrize(("caller", "status"), [("anonymous", 401), ("user", 403), ("admin", 403),
                                                ("moderator", 403), ("superuser", 200)])
async def test_list_by_role(admin_client, world, caller, status):
    response = await admin_client.get("/admin/superusers", headers=world.headers(caller))
    assert response.status_code == status
    if status == 200:
        assert world.superuser.username in response.json()["items"]


@pytest.mark.parametrize(("caller", "status"), [("anonymous", 401), ("user", 403), ("admin", 403),
                                                ("superuser", 201)])
async def test_grant_by_role(admin_client, content, world, caller, status):
    target = await content.make_user()
    response = await admin_client.post(f"/admin/superusers?username={target.username}",
                                       headers=world.headers(caller))
    assert response.status_code == status


async def test_grant_and_revoke_take_effect_at_once(admin_client, app_state, content, world):
    target = await content.make_user()
    response = await admin_client.post(f"/admin/superusers?username={target.username}",
                                       headers=world.superuser.headers)
    assert response.status_code == 201
    assert response.headers["location"] == "http://testserver/admin/superusers"
    # The new superuser's existing session already says so, and the rights are there.
    assert (await app_state.sessions.validate(target.token)).superuser is True
    assert (await admin_client.post(f"{world.site_path}/publish?publish=false",
                                    headers=target.headers)).status_code == 204
    response = await admin_client.post(f"/admin/superusers?username={target.username}",
                                       headers=world.superuser.headers)
    assert response.json() == {"error": {"code": 409, "message": "User is already a superuser"}}

    response = await admin_client.delete(f"/admin/superusers?username={target.username}",
                                         headers=world.superuser.headers)
    assert response.status_code == 204
    assert (await app_state.sessions.validate(target.token)).superuser is False
    assert (await admin_client.get("/admin/superusers", headers=target.headers)).status_code == 403
    # Revoking someone who is not a superuser changes nothing and is still 204.
    response = await admin_client.delete(f"/admin/superusers?username={target.username}",
                                         headers=world.superuser.headers)
    assert response.status_code == 204

    actions = [action for action, *_ in await content.audit_actions(None)]
    assert actions.count("add_superuser") >= 1 and actions.count("remove_superuser") >= 1


async def test_unknown_or_invalid_username(admin_client, world):
    response = await admin_client.post("/admin/superusers?username=NoSuchUser", headers=world.superuser.headers)
    assert response.json() == {"error": {"code": 404, "message": "User not found"}}
    response = await admin_client.delete("/admin/superusers?username=x", headers=world.superuser.headers)
    assert response.status_code == 422


async def test_the_last_superuser_cannot_leave(admin_client, app_state, content):
    only = await content.make_user(superuser=True)
    async with app_state.db.transaction() as conn:
        saved = [row.user_id for row in await conn.execute(superusers.select())]
        await conn.execute(delete(superusers).where(superusers.c.user_id != only.id))
    try:
        response = await admin_client.delete(f"/admin/superusers?username={only.username}", headers=only.headers)
        assert response.json() == {"error": {"code": 409, "message": "Cannot remove the last superuser"}}
        assert (await admin_client.get("/admin/superusers", headers=only.headers)).json()["items"] == [only.username]
    finally:
        async with app_state.db.transaction() as conn:
            for user_id in saved:
                if user_id != only.id:
                    await conn.execute(superusers.insert().values(user_id=user_id))


async def test_concurrent_grants_give_one_201_and_a_409(admin_client, content, make_user, world):
    import asyncio

    target, second = await content.make_user(), await make_user(superuser=True)
    url = f"/admin/superusers?username={target.username}"
    responses = await asyncio.gather(admin_client.post(url, headers=world.superuser.headers),
                                     admin_client.post(url, headers=second.headers))
    assert sorted(response.status_code for response in responses) == [201, 409]
    refused = next(response for response in responses if response.status_code == 409)
    assert refused.json() == {"error": {"code": 409, "message": "User is already a superuser"}}
