"""`GET /me/export` and account deletion: the whole record, anonymised content, every session ended."""

import re

import pytest
from sqlalchemy import func, select

from muistot.db.tables import comments, images, memories, reports, superusers, user_personal_data
from muistot.db.tables import users as users_table


def bearer(token):
    return {"Authorization": f"Bearer {token}"}


PASSWORD = "a good password"


async def set_password(users, user, password=PASSWORD):
    response = await users.put("/me/password", json={"password": password}, headers=user.headers)
    assert response.status_code == 200


async def user_exists(users, user_id):
    async with users.app.state.db.connect() as conn:
        return await conn.scalar(select(func.count()).select_from(users_table).where(users_table.c.id == user_id)) == 1


async def test_export_holds_profile_sessions_and_every_memory_and_comment(users, make_user, add_content,
                                                                         extra_session):
    user = await make_user()
    other_device = await extra_session(user, client="tablet")
    await users.patch("/me", headers=user.headers, json={"first_name": "Aino", "country": "FI"})
    first = await add_content(user, memories_count=2, comments_per_memory=2)
    second = await add_content(user, memories_count=1, comments_per_memory=0, published=False)
    stranger = await make_user()
    await add_content(stranger)  # not theirs: must not appear
    async with users.app.state.db.transaction() as conn:
        await conn.execute(images.insert().values(file_name="abc.jpeg", content_type="image/jpeg", size=10,
                                                  width=1, height=1, uploader_id=user.id))
        await conn.execute(reports.insert().values(target_type="memory", memory_id=first["memories"][0],
                                                   user_id=user.id, reason="Väärä paikka"))
        await conn.execute(superusers.insert().values(user_id=user.id))
    response = await users.get("/me/export", headers=user.headers)
    assert response.status_code == 200
    assert "attachment" in response.headers["content-disposition"]
    doc = response.json()
    assert doc["profile"]["username"] == user.username and doc["profile"]["email"] == user.email
    assert doc["profile"]["personal_data"]["first_name"] == "Aino"
    assert doc["profile"]["personal_data"]["country"] == "FIN"
    assert "password_hash" not in str(doc)
    assert {s["client"] for s in doc["sessions"]} == {"pytest", "tablet"}
    assert [s["current"] for s in doc["sessions"] if s["client"] == "pytest"] == [True]
    assert other_device not in response.text and user.token not in response.text
    assert doc["roles"]["superuser"] is True
    assert sorted(m["id"] for m in doc["memories"]) == sorted(first["memories"] + second["memories"])
    assert all(m["story"] == "Kerran kauan sitten" for m in doc["memories"])
    assert sorted(c["id"] for c in doc["comments"]) == sorted(first["comments"])
    assert {c["comment"] for c in doc["comments"]} == {"Kommentti 0.0", "Kommentti 0.1", "Kommentti 1.0",
                                                      "Kommentti 1.1"}
    assert {s["id"] for s in doc["sites"]} == {first["site"], second["site"]}
    assert doc["reports"] == [{"target_type": "memory", "memory": first["memories"][0], "reason": "Väärä paikka",
                               "created_at": doc["reports"][0]["created_at"], "cleared": False}]
    assert [image["file_name"] for image in doc["images"]] == ["abc.jpeg"]


async def test_export_lists_a_pending_email_change_without_its_secret(users, make_user, mailbox):
    user = await make_user()
    wanted = f"pending-{user.username.lower()}@example.com"
    response = await users.post("/me/email", params={"email": wanted}, headers=user.headers)
    token = response.headers["authorization"].split(" ", 1)[1]
    doc = (await users.get("/me/export", headers=bearer(token))).json()
    assert [(p["purpose"], p["payload"]) for p in doc["pending_requests"]] == [("email-change", wanted)]
    secret = re.search(r"token=([\w-]+)", (await mailbox(wanted))[0].text).group(1)
    assert secret not in str(doc)


async def test_delete_with_password_ends_every_session_and_keeps_content_anonymised(
        users, make_user, add_content, extra_session, is_live):
    user = await make_user()
    await set_password(users, user)
    devices = [await extra_session(user, client=f"device {i}") for i in range(3)]
    made = await add_content(user, memories_count=2, comments_per_memory=1)
    response = await users.request("DELETE", "/me/account", json={"password": "a good password"},
                                   headers=user.headers)
    assert response.status_code == 204
    for token in [user.token, *devices]:
        assert not await is_live(token)
    assert (await users.get("/me", headers=user.headers)).status_code == 401
    assert not await user_exists(users, user.id)
    async with users.app.state.db.connect() as conn:
        kept_memories = (await conn.execute(select(memories.c.id, memories.c.user_id)
                                            .where(memories.c.id.in_(made["memories"])))).all()
        kept_comments = (await conn.execute(select(comments.c.id, comments.c.user_id)
                                            .where(comments.c.id.in_(made["comments"])))).all()
        personal = await conn.scalar(select(func.count()).select_from(user_personal_data)
                                     .where(user_personal_data.c.user_id == user.id))
    assert sorted(row.id for row in kept_memories) == sorted(made["memories"])
    assert all(row.user_id is None for row in kept_memories + kept_comments)
    assert len(kept_comments) == len(made["comments"])
    assert personal == 0


async def test_reads_of_anonymised_content_never_fail(service_client, users, make_user, add_content):
    user = await make_user()
    await set_password(users, user)
    made = await add_content(user, memories_count=2, comments_per_memory=2)
    assert (await users.request("DELETE", "/me/account", json={"password": "a good password"},
                                headers=user.headers)).status_code == 204
    data = service_client("data")
    reader = await make_user()
    project, site = made["project"], made["site"]
    memory, comment = made["memories"][0], made["comments"][0]
    paths = [
        "/projects", f"/projects/{project}", f"/projects/{project}/sites", f"/projects/{project}/sites/{site}",
        f"/projects/{project}/sites/{site}?include_memories=true",
        f"/projects/{project}/sites/{site}/memories",
        f"/projects/{project}/sites/{site}/memories?include_comments=true",
        f"/projects/{project}/sites/{site}/memories/{memory}",
        f"/projects/{project}/sites/{site}/memories/{memory}?include_comments=true",
        f"/projects/{project}/sites/{site}/memories/{memory}/comments",
        f"/projects/{project}/sites/{site}/memories/{memory}/comments/{comment}",
    ]
    for headers in ({}, reader.headers):
        for path in paths:
            response = await data.get(path, headers=headers)
            assert response.status_code < 500, (path, response.status_code, response.text)
            assert user.username not in response.text, path
    # The content is still there, shown without an author.
    shown = (await data.get(paths[7])).json()
    assert shown["id"] == memory and shown.get("user") is None
    assert (await data.get(paths[10])).json().get("user") is None
    assert (await data.get("/projects", headers=user.headers)).status_code == 401


async def test_deleted_account_cannot_sign_in(service_client, users, make_user):
    user = await make_user()
    await set_password(users, user, "sign in with me")
    login = service_client("login")
    before = await login.post("/auth/password", json={"email": user.email, "password": "sign in with me"})
    assert before.status_code == 200  # the password set under /me signs in
    assert (await users.request("DELETE", "/me/account", json={"password": "sign in with me"},
                                headers=user.headers)).status_code == 204
    response = await login.post("/auth/password", json={"email": user.email, "password": "sign in with me"})
    assert response.status_code == 400  # as for an address that never had an account
    assert "authorization" not in response.headers
    assert not await user_exists(users, user.id)


async def test_delete_by_mailed_code(users, make_user, mailbox, extra_session, is_live):
    user = await make_user()  # no password: the code is the only way
    device = await extra_session(user)
    response = await users.post("/me/account/delete-request", headers=user.headers)
    assert response.status_code == 204
    [mail] = await mailbox(user.email)
    code = re.search(r"#account-delete:token=(\d+)", mail.text).group(1)
    assert len(code) >= 6 and code in mail.text.split("#", 1)[0]
    assert (mail.lang, mail.subject) == ("fi", "Muistotkartalla: vahvista tilisi poistaminen")  # the default
    deleted = await users.delete("/me/account", params={"token": code}, headers=user.headers)
    assert deleted.status_code == 204
    assert not await is_live(device) and not await is_live(user.token)
    assert not await user_exists(users, user.id)


async def test_wrong_codes_use_up_the_deletion_code(users, make_user, mailbox):
    user = await make_user()
    await users.post("/me/account/delete-request", headers=user.headers)
    code = re.search(r"token=(\d+)", (await mailbox(user.email))[0].text).group(1)
    wrong = "0" * len(code) if code != "0" * len(code) else "1" * len(code)
    for _ in range(5):
        response = await users.delete("/me/account", params={"token": wrong}, headers=user.headers)
        assert response.status_code == 403
        assert response.json()["error"]["message"] == "Invalid code"
    assert (await users.delete("/me/account", params={"token": code}, headers=user.headers)).status_code == 403
    assert await user_exists(users, user.id)


async def test_deletion_needs_a_confirmation(users, make_user):
    plain, with_password = await make_user(), await make_user()
    await set_password(users, with_password)
    response = await users.delete("/me/account", headers=plain.headers)
    assert response.status_code == 403
    assert response.json() == {"error": {"code": 403, "message": "Confirmation required", "details": ["token"]}}
    response = await users.delete("/me/account", headers=with_password.headers)
    assert response.json()["error"]["details"] == ["password"]
    wrong = await users.request("DELETE", "/me/account", json={"password": "not it at all"},
                                headers=with_password.headers)
    assert wrong.status_code == 403 and wrong.json()["error"]["message"] == "Wrong password"
    no_password = await users.request("DELETE", "/me/account", json={"password": "anything"}, headers=plain.headers)
    assert no_password.status_code == 403
    assert await user_exists(users, plain.id) and await user_exists(users, with_password.id)


@pytest.mark.parametrize("kwargs", [{"params": {"token": "123"}}, {"json": {"password": 12345678}},
                                    {"json": {"password": "x" * 1001}}])
async def test_malformed_deletion_is_422(users, make_user, kwargs):
    user = await make_user()
    response = await users.request("DELETE", "/me/account", headers=user.headers, **kwargs)
    assert response.status_code == 422
    assert await user_exists(users, user.id)


async def test_delete_request_without_an_address_is_409(users, make_user):
    user = await make_user()
    async with users.app.state.db.transaction() as conn:
        await conn.execute(users_table.update().where(users_table.c.id == user.id).values(email=None, email_key=None))
    response = await users.post("/me/account/delete-request", headers=user.headers)
    assert response.status_code == 409
    assert response.json()["error"]["message"] == "No e-mail address"


async def test_a_password_account_may_also_use_the_mailed_code(users, make_user, mailbox):
    user = await make_user()
    await set_password(users, user)
    await users.post("/me/account/delete-request", headers=user.headers)
    code = re.search(r"token=(\d+)", (await mailbox(user.email))[0].text).group(1)
    assert (await users.delete("/me/account", params={"token": code}, headers=user.headers)).status_code == 204
    assert not await user_exists(users, user.id)


@pytest.mark.parametrize(("method", "path"), [("GET", "/me/export"), ("POST", "/me/account/delete-request"),
                                              ("DELETE", "/me/account")])
async def test_privacy_endpoints_need_a_session(users, method, path):
    assert (await users.request(method, path)).status_code == 401
