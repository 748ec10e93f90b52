"""Signing out, listing and ending sessions under `/me`."""

import pytest


def bearer(token):
    return {"Authorization": f"Bearer {token}"}


async def test_delete_me_ends_only_this_session(users, make_user, extra_session, is_live):
    user = await make_user()
    other = await extra_session(user)
    response = await users.delete("/me", headers=user.headers)
    assert response.status_code == 204
    assert not await is_live(user.token)
    assert await is_live(other)


async def test_delete_sessions_ends_all(users, make_user, extra_session, is_live):
    user = await make_user()
    others = [await extra_session(user, client=f"device {i}") for i in range(3)]
    response = await users.delete("/me/sessions", headers=user.headers)
    assert response.status_code == 204
    for token in [user.token, *others]:
        assert not await is_live(token)


async def test_list_sessions_marks_the_current_one(users, make_user, extra_session, is_live):
    user = await make_user()
    other = await extra_session(user, client="Firefox on a phone")
    response = await users.get("/me/sessions", headers=bearer(other))
    assert response.status_code == 200
    body = response.json()
    assert body["next"] is None
    assert len(body["items"]) == 2
    by_client = {item["client"]: item for item in body["items"]}
    assert by_client["Firefox on a phone"]["current"] is True
    assert by_client["pytest"]["current"] is False
    assert by_client["pytest"]["id"] == user.session_id
    for item in body["items"]:
        assert set(item) == {"id", "created", "last_seen", "expires", "client", "current"}
        assert user.token not in str(item) and other not in str(item)


async def test_list_sessions_pages(users, make_user, extra_session, is_live):
    user = await make_user()
    for i in range(4):
        await extra_session(user, client=f"device {i}")
    first = (await users.get("/me/sessions?limit=2", headers=user.headers)).json()
    assert len(first["items"]) == 2 and first["next"]
    second = (await users.get("/me/sessions", params={"limit": 2, "cursor": first["next"]},
                              headers=user.headers)).json()
    third = (await users.get("/me/sessions", params={"limit": 2, "cursor": second["next"]},
                             headers=user.headers)).json()
    assert third["next"] is None
    ids = [item["id"] for page in (first, second, third) for item in page["items"]]
    assert len(ids) == 5 == len(set(ids))


@pytest.mark.parametrize("params", [{"limit": 0}, {"limit": 201}, {"cursor": "!!!"}, {"cursor": "WzEsMiwzXQ"}])
async def test_list_sessions_rejects_bad_paging(users, make_user, extra_session, is_live, params):
    user = await make_user()
    response = await users.get("/me/sessions", params=params, headers=user.headers)
    assert response.status_code == 422
    assert response.json()["error"]["errors"][0]["loc"][0] == "query"


async def test_end_one_session_by_id(users, make_user, extra_session, is_live):
    user = await make_user()
    other = await extra_session(user)
    listed = (await users.get("/me/sessions", headers=user.headers)).json()["items"]
    other_id = next(item["id"] for item in listed if not item["current"])
    response = await users.delete(f"/me/sessions/{other_id}", headers=user.headers)
    assert response.status_code == 204
    assert not await is_live(other)
    assert await is_live(user.token)
    again = await users.delete(f"/me/sessions/{other_id}", headers=user.headers)
    assert again.status_code == 404
    assert again.json()["error"]["message"] == "Session not found"


async def test_cannot_end_another_users_session(users, make_user, extra_session, is_live):
    alice, mallory = await make_user(), await make_user()
    response = await users.delete(f"/me/sessions/{alice.session_id}", headers=mallory.headers)
    assert response.status_code == 404
    assert await is_live(alice.token)


@pytest.mark.parametrize(("method", "path"), [
    ("DELETE", "/me"), ("DELETE", "/me/sessions"), ("GET", "/me/sessions"), ("DELETE", "/me/sessions/abc"),
])
async def test_session_endpoints_need_a_session(users, method, path):
    response = await users.request(method, path)
    assert response.status_code == 401
    assert response.json()["error"]["code"] == 401


async def test_overlong_session_id_is_422(users, make_user):
    user = await make_user()
    response = await users.delete("/me/sessions/" + "a" * 65, headers=user.headers)
    assert response.status_code == 422
    assert response.json()["error"]["errors"][0]["loc"] == ["path", "session_id"]
