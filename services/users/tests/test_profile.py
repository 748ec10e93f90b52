"""`GET /me` and `PATCH /me`: merge semantics, validation and the empty patch."""

import datetime as dt

import pytest


async def test_new_user_sees_only_name_and_email(users, make_user):
    user = await make_user()
    response = await users.get("/me", headers=user.headers)
    assert response.status_code == 200
    assert response.json() == {"username": user.username, "email": user.email, "has_password": False}


async def test_me_requires_a_session(users):
    response = await users.get("/me")
    assert response.status_code == 401
    assert response.json() == {"error": {"code": 401, "message": "Unauthorized"}}
    assert response.headers["www-authenticate"] == "Bearer"
    bad = await users.get("/me", headers={"Authorization": "Bearer " + "x" * 43})
    assert bad.status_code == 401
    assert bad.json()["error"]["message"] == "Invalid Session"


async def test_patch_merges_fields_and_null_clears(users, make_user):
    user = await make_user()
    first = await users.patch("/me", headers=user.headers,
                              json={"first_name": "Aino", "city": "Oulu", "country": "fi", "birth_date": "1990-05-17"})
    assert first.status_code == 204
    assert first.content == b""
    second = await users.patch("/me", headers=user.headers, json={"last_name": "Virtanen", "city": None})
    assert second.status_code == 204
    me = (await users.get("/me", headers=user.headers)).json()
    assert me["first_name"] == "Aino"
    assert me["last_name"] == "Virtanen"
    assert "city" not in me
    assert me["country"] == "FIN"
    assert me["birth_date"] == "1990-05-17"
    assert "T" in me["modified_at"] and "+" not in me["modified_at"]


@pytest.mark.parametrize("body", [{}, {"username": "Someone", "email": "x@example.com"}, None])
async def test_empty_patch_changes_nothing(users, make_user, body):
    user = await make_user()
    await users.patch("/me", headers=user.headers, json={"city": "Turku"})
    response = await users.patch("/me", headers=user.headers, json=body) if body is not None else \
        await users.patch("/me", headers=user.headers)
    # The contract's recommendation for `{}` (docs/contract.md, "Sessions and accounts"), not a 500 or 304.
    assert response.status_code == 204
    assert response.content == b""
    me = (await users.get("/me", headers=user.headers)).json()
    assert me["city"] == "Turku"
    assert me["username"] == user.username and me["email"] == user.email


@pytest.mark.parametrize(("body", "field", "message"), [
    ({"country": "XX"}, "country", "Not a valid ISO3316 (2,3) country"),
    ({"country": "Finland"}, "country", None),
    ({"birth_date": "1899-12-31"}, "birth_date", "Birth date cannot be before 1900"),
    ({"birth_date": "not a date"}, "birth_date", None),
    ({"first_name": "x" * 256}, "first_name", None),
])
async def test_invalid_patch_is_422_and_writes_nothing(users, make_user, body, field, message):
    user = await make_user()
    response = await users.patch("/me", headers=user.headers, json={"city": "Espoo", **body})
    assert response.status_code == 422
    error = response.json()["error"]
    assert error["code"] == 422
    assert error["errors"][0]["loc"] == ["body", field]
    if message:
        assert error["errors"][0]["msg"] == message
    assert "city" not in (await users.get("/me", headers=user.headers)).json()


async def test_future_birth_date_is_refused(users, make_user):
    user = await make_user()
    tomorrow = (dt.date.today() + dt.timedelta(days=2)).isoformat()
    response = await users.patch("/me", headers=user.headers, json={"birth_date": tomorrow})
    assert response.status_code == 422
    assert response.json()["error"]["errors"][0]["msg"] == "Birth date cannot be in the future"


async def test_alpha3_country_accepted_in_any_case(users, make_user):
    user = await make_user()
    assert (await users.patch("/me", headers=user.headers, json={"country": "swe"})).status_code == 204
    assert (await users.get("/me", headers=user.headers)).json()["country"] == "SWE"


async def test_patch_body_must_be_an_object(users, make_user):
    user = await make_user()
    headers = {**user.headers, "Content-Type": "application/json"}
    for content in (b"[1, 2]", b"{not json"):
        response = await users.patch("/me", headers=headers, content=content)
        assert response.status_code == 422
        assert response.json()["error"]["code"] == 422


async def test_patch_requires_a_session(users):
    response = await users.patch("/me", json={"city": "Oulu"})
    assert response.status_code == 401


async def test_an_oversized_body_is_413_and_writes_nothing(users, make_user):
    user = await make_user()
    response = await users.patch("/me", headers=user.headers, json={"city": "Oulu", "padding": "x" * 70_000})
    assert response.status_code == 413
    assert response.json() == {"error": {"code": 413, "message": "Request body too large"}}
    assert "city" not in (await users.get("/me", headers=user.headers)).json()
