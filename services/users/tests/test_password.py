"""`PUT /me/password`: set, change with the current password, policy, other sessions end."""

import bcrypt
import pytest
from sqlalchemy import select

from muistot.db.tables import users as users_table


async def stored(users, user_id):
    async with users.app.state.db.connect() as conn:
        return (await conn.execute(select(users_table.c.password_hash, users_table.c.password_confirmed)
                                   .where(users_table.c.id == user_id))).one()


async def test_first_password_needs_no_current_one(users, make_user, extra_session, is_live):
    user = await make_user()
    others = [await extra_session(user, client=f"device {i}") for i in range(2)]
    response = await users.put("/me/password", params={"password": "correct horse"}, headers=user.headers)
    assert response.status_code == 200
    assert response.content == b"" and "authorization" not in response.headers
    password_hash, confirmed = await stored(users, user.id)
    assert bcrypt.checkpw(b"correct horse", password_hash.encode()) and confirmed
    assert password_hash.startswith("$2b$04$")  # MUISTOT_BCRYPT_COST of the test settings
    assert await is_live(user.token)
    for other in others:
        assert not await is_live(other)
    assert (await users.get("/me", headers=user.headers)).json()["has_password"] is True


async def test_change_requires_the_current_password(users, make_user, extra_session, is_live):
    user = await make_user()
    assert (await users.put("/me/password", json={"password": "first password"}, headers=user.headers)).status_code \
        == 200
    other = await extra_session(user)
    missing = await users.put("/me/password", json={"password": "second password"}, headers=user.headers)
    assert missing.status_code == 403
    assert missing.json() == {"error": {"code": 403, "message": "Current password required"}}
    wrong = await users.put("/me/password", json={"password": "second password", "current_password": "nope"},
                            headers=user.headers)
    assert wrong.status_code == 403
    assert wrong.json()["error"]["message"] == "Wrong password"
    assert await is_live(other)  # a refused change ends nothing
    # The contract's query parameter with the current password in the body also works.
    ok = await users.put("/me/password", params={"password": "second password"},
                         json={"current_password": "first password"}, headers=user.headers)
    assert ok.status_code == 200
    assert bcrypt.checkpw(b"second password", (await stored(users, user.id))[0].encode())
    assert not await is_live(other)


async def test_unconfirmed_password_can_be_replaced_without_knowing_it(users, make_user):
    user = await make_user()
    planted = bcrypt.hashpw(b"attacker secret", bcrypt.gensalt(4)).decode()
    async with users.app.state.db.transaction() as conn:
        await conn.execute(users_table.update().where(users_table.c.id == user.id)
                           .values(password_hash=planted, password_confirmed=False))
    assert (await users.get("/me", headers=user.headers)).json()["has_password"] is False
    response = await users.put("/me/password", json={"password": "my own password"}, headers=user.headers)
    assert response.status_code == 200
    password_hash, confirmed = await stored(users, user.id)
    assert bcrypt.checkpw(b"my own password", password_hash.encode()) and confirmed


async def test_wrong_current_passwords_are_rate_limited(users, make_user):
    user = await make_user()
    await users.put("/me/password", json={"password": "the real one"}, headers=user.headers)
    statuses = []
    for _ in range(6):
        response = await users.put("/me/password", json={"password": "new password", "current_password": "guess"},
                                   headers=user.headers)
        statuses.append(response.status_code)
    assert statuses == [403] * 5 + [429]
    # Even the right password is refused until the window ends.
    blocked = await users.put("/me/password", json={"password": "new password", "current_password": "the real one"},
                              headers=user.headers)
    assert blocked.status_code == 429
    assert bcrypt.checkpw(b"the real one", (await stored(users, user.id))[0].encode())


@pytest.mark.parametrize(("kwargs", "loc"), [
    ({"params": {"password": "short"}}, ["query", "password"]),
    ({"json": {"password": "short"}}, ["body", "password"]),
    ({"json": {"password": "ä" * 40}}, ["body", "password"]),  # 80 bytes: bcrypt would ignore the tail
    ({"json": {}}, ["body", "password"]),
    ({}, ["body", "password"]),
    ({"params": {"password": "long enough 1"}, "json": {"password": "long enough 2"}}, ["query", "password"]),
])
async def test_invalid_passwords_are_422(users, make_user, kwargs, loc):
    user = await make_user()
    response = await users.put("/me/password", headers=user.headers, **kwargs)
    assert response.status_code == 422
    assert response.json()["error"]["errors"][0]["loc"] == loc
    assert (await stored(users, user.id))[0] is None


async def test_password_needs_a_session(users):
    assert (await users.put("/me/password", params={"password": "whatever123"})).status_code == 401
