"""`POST /me/username`: validation, uniqueness that ignores case and accents, sessions follow at once."""

import pytest


def bearer(token):
    return {"Authorization": f"Bearer {token}"}


def new_token(response):
    scheme, _, token = response.headers["authorization"].partition(" ")
    assert scheme == "bearer"
    return token


async def test_rename_updates_every_session_and_issues_a_new_token(users, make_user, extra_session, is_live):
    user = await make_user()
    others = [await extra_session(user, client=f"device {i}") for i in range(2)]
    response = await users.post("/me/username", params={"username": "Uusi Nimi äö"}, headers=user.headers)
    assert response.status_code == 200
    assert response.content == b""
    token = new_token(response)
    assert token != user.token
    assert (await users.get("/me", headers=bearer(token))).json()["username"] == "Uusi Nimi äö"
    # The replaced token ends; the other devices stay signed in and show the new name at once.
    assert not await is_live(user.token)
    for other in others:
        session = await users.app.state.sessions.validate(other)
        assert session is not None and session.username == "Uusi Nimi äö"
    listed = (await users.get("/me/sessions", headers=bearer(token))).json()["items"]
    assert len(listed) == 3


async def test_same_name_is_304(users, make_user, is_live):
    user = await make_user()
    response = await users.post("/me/username", params={"username": user.username}, headers=user.headers)
    assert response.status_code == 304
    assert "authorization" not in response.headers
    assert await is_live(user.token)


async def test_recasing_ones_own_name_is_allowed(users, make_user):
    user = await make_user()
    response = await users.post("/me/username", params={"username": user.username.upper()}, headers=user.headers)
    assert response.status_code == 200
    me = await users.get("/me", headers=bearer(new_token(response)))
    assert me.json()["username"] == user.username.upper()


async def test_taken_name_is_409_ignoring_case_and_accents(users, make_user, is_live):
    owner = await make_user(username="Kettu Ärjy")
    user = await make_user()
    for candidate in ("Kettu Ärjy", "kettu arjy", "KETTU ÄRJY"):
        response = await users.post("/me/username", params={"username": candidate}, headers=user.headers)
        assert response.status_code == 409
        assert response.json() == {"error": {"code": 409, "message": "Username in use"}}
    assert (await users.get("/me", headers=user.headers)).json()["username"] == user.username
    assert await is_live(owner.token)


@pytest.mark.parametrize("name", ["abc", "x" * 65, "bad/slash", "emoji 🦊 name", "   ", "tab\tname"])
async def test_invalid_names_are_422(users, make_user, name):
    user = await make_user()
    response = await users.post("/me/username", params={"username": name}, headers=user.headers)
    assert response.status_code == 422
    assert response.json()["error"]["errors"][0]["loc"] == ["query", "username"]
    assert (await users.get("/me", headers=user.headers)).json()["username"] == user.username


async def test_missing_name_is_422(users, make_user):
    user = await make_user()
    response = await users.post("/me/username", headers=user.headers)
    assert response.status_code == 422


async def test_rename_needs_a_session(users):
    assert (await users.post("/me/username", params={"username": "Someone New"})).status_code == 401
