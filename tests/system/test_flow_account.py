"""The signed-in person's account through the gateway (`/me`): profile, rename, e-mail change by
mailed link, password, sessions, data export and account deletion with the mailed code."""

from __future__ import annotations

import secrets

import httpx
import pytest
from sqlalchemy import select

from muistot.db.tables import comments, memories, users
from tests.system.conftest import GatewayUser, RunningStack, run_async
from tests.system.flows import (
    Mailbox,
    Session,
    assert_error,
    bearer,
    create_comment,
    create_memory,
    create_project,
    create_site,
    db_rows,
    fragment_params,
    new_email,
    plain_text,
    sign_in,
    username_of,
)


@pytest.fixture(scope="module")
def member(client: httpx.Client, mailbox: Mailbox) -> Session:
    """One signed-in person for the tests that change nothing but the profile."""
    return sign_in(client, mailbox)


@pytest.fixture(scope="module")
def superuser(system_stack: RunningStack) -> GatewayUser:
    return run_async(system_stack.create_user(superuser=True))


def assert_signed_out(client: httpx.Client, session: Session) -> None:
    assert_error(client.get("/me", headers=session.headers), 401, "Invalid Session")


# --- profile -------------------------------------------------------------------------------------


def test_profile_read_and_patch(client: httpx.Client, member: Session) -> None:
    me = client.get("/me", headers=member.headers)
    assert me.status_code == 200, me.text
    assert me.json()["email"] == member.email
    assert "first_name" not in me.json()  # never set: left out, not null

    patched = client.patch("/me", headers=member.headers, json={"first_name": "Aino", "country": "fi"})
    assert patched.status_code == 204, patched.text
    profile = client.get("/me", headers=member.headers).json()
    assert profile["first_name"] == "Aino"
    assert profile["country"] == "FIN"

    # A bad country is the 422 shape, and nothing of that request is written.
    bad = client.patch("/me", headers=member.headers, json={"first_name": "Eino", "country": "XX"})
    body = assert_error(bad, 422)
    assert any(error["loc"] == ["body", "country"] for error in body["error"]["errors"]), body
    assert client.get("/me", headers=member.headers).json() == profile

    # Merge: absent fields stay, null clears.
    assert client.patch("/me", headers=member.headers, json={"city": "Oulu"}).status_code == 204
    assert client.patch("/me", headers=member.headers, json={"first_name": None}).status_code == 204
    after = client.get("/me", headers=member.headers).json()
    assert after["city"] == "Oulu" and after["country"] == "FIN" and "first_name" not in after


def test_profile_needs_a_session(client: httpx.Client) -> None:
    for response in (client.get("/me"), client.patch("/me", json={"city": "Oulu"})):
        assert_error(response, 401)
        assert response.headers["www-authenticate"] == "Bearer"


# --- username ------------------------------------------------------------------------------------


def test_rename_ends_the_old_token_and_reaches_every_other_session(client: httpx.Client, mailbox: Mailbox) -> None:
    first = sign_in(client, mailbox)
    second = sign_in(client, mailbox, first.email)
    new_name = f"Uusi {secrets.token_hex(4)}"

    renamed = client.post("/me/username", params={"username": new_name}, headers=first.headers)
    assert renamed.status_code == 200, renamed.text
    assert renamed.content == b""
    fresh = Session(first.email, bearer(renamed), first.ip)

    assert_signed_out(client, first)  # the token that asked is replaced at once
    assert username_of(client, second) == new_name  # the other device sees the new name on its next request
    assert username_of(client, fresh) == new_name
    # Unchanged is 304; an invalid name is 422 and changes nothing.
    assert client.post("/me/username", params={"username": new_name}, headers=fresh.headers).status_code == 304
    assert_error(client.post("/me/username", params={"username": "a"}, headers=fresh.headers), 422)
    assert username_of(client, fresh) == new_name


# --- e-mail address ------------------------------------------------------------------------------


def test_email_change_takes_effect_from_the_mailed_link(client: httpx.Client, mailbox: Mailbox) -> None:
    old = sign_in(client, mailbox)
    name = username_of(client, old)
    new_address = new_email("moved")
    before = mailbox.snapshot()

    requested = client.post("/me/email", params={"email": new_address}, headers=old.headers)
    assert requested.status_code == 200, requested.text
    session = Session(new_address, bearer(requested), old.ip)
    assert_signed_out(client, old)
    # Nothing changes before the new address proves itself; the old address is told.
    assert client.get("/me", headers=session.headers).json()["email"] == old.email
    link = mailbox.wait_for(new_address, "#email-change:", before)
    notice = mailbox.wait_for(old.email, "m***@example.com", before)
    assert "#email-change:" not in plain_text(notice)
    token = fragment_params(plain_text(link), "email-change")["token"]

    assert_error(client.post("/me/email/confirm", params={"token": token + "x"}, headers=session.headers), 404)
    confirmed = client.post("/me/email/confirm", params={"token": token}, headers=session.headers)
    assert confirmed.status_code == 204, confirmed.text
    assert client.get("/me", headers=session.headers).json()["email"] == new_address
    # Used once: the same link does nothing more.
    assert_error(client.post("/me/email/confirm", params={"token": token}, headers=session.headers), 404)
    # The new address now signs in to the same account.
    assert username_of(client, sign_in(client, mailbox, new_address)) == name


# --- password ------------------------------------------------------------------------------------


def test_password_change_ends_the_other_sessions(client: httpx.Client, mailbox: Mailbox) -> None:
    here = sign_in(client, mailbox)
    elsewhere = sign_in(client, mailbox, here.email)
    password = f"pw-{secrets.token_hex(8)}"

    changed = client.put("/me/password", params={"password": password}, headers=here.headers)
    assert changed.status_code == 200, changed.text
    assert_signed_out(client, elsewhere)
    assert client.get("/me", headers=here.headers).status_code == 200
    assert client.get("/me", headers=here.headers).json()["has_password"] is True

    # The password signs in; changing it again needs the current one.
    login = client.post("/auth/password", json={"email": here.email, "password": password},
                        headers={"X-Forwarded-For": here.ip})
    assert login.status_code == 200, login.text
    by_password = Session(here.email, bearer(login), here.ip)
    assert client.get("/me", headers=by_password.headers).status_code == 200
    assert_error(client.put("/me/password", params={"password": "another-password"}, headers=here.headers), 403)
    again = client.put("/me/password", headers=here.headers,
                       json={"password": "another-password", "current_password": password})
    assert again.status_code == 200, again.text
    assert_signed_out(client, by_password)


# --- sessions ------------------------------------------------------------------------------------


def test_sessions_are_listed_and_end_at_once(client: httpx.Client, mailbox: Mailbox) -> None:
    mine = sign_in(client, mailbox)
    other = sign_in(client, mailbox, mine.email)

    listed = client.get("/me/sessions", headers=mine.headers)
    assert listed.status_code == 200, listed.text
    items = listed.json()["items"]
    assert len(items) == 2
    [current] = [item for item in items if item["current"]]
    [other_id] = [item["id"] for item in items if not item["current"]]

    assert client.delete(f"/me/sessions/{other_id}", headers=mine.headers).status_code == 204
    assert_signed_out(client, other)
    assert [item["id"] for item in client.get("/me/sessions", headers=mine.headers).json()["items"]] == [
        current["id"]]
    assert_error(client.delete(f"/me/sessions/{other_id}", headers=mine.headers), 404)

    third = sign_in(client, mailbox, mine.email)
    assert client.delete("/me/sessions", headers=mine.headers).status_code == 204
    assert_signed_out(client, mine)
    assert_signed_out(client, third)


# --- export and deletion -------------------------------------------------------------------------


def test_export_then_delete_account(system_stack: RunningStack, client: httpx.Client, mailbox: Mailbox,
                                    superuser: GatewayUser) -> None:
    project = create_project(client, superuser, auto_publish=True)
    site = create_site(client, superuser, project)
    person = sign_in(client, mailbox)
    name = username_of(client, person)
    assert client.patch("/me", headers=person.headers, json={"city": "Kemi"}).status_code == 204
    memory = create_memory(client, person, project, site, title="Tukkilaisten kesä")
    comment = create_comment(client, person, project, site, memory, text="Isoisä oli mukana.")

    exported = client.get("/me/export", headers=person.headers)
    assert exported.status_code == 200, exported.text
    document = exported.json()
    assert document["profile"]["username"] == name
    assert document["profile"]["email"] == person.email
    assert document["profile"]["personal_data"]["city"] == "Kemi"
    assert [s["current"] for s in document["sessions"]] == [True]
    assert [m["title"] for m in document["memories"]] == ["Tukkilaisten kesä"]
    assert [c["comment"] for c in document["comments"]] == ["Isoisä oli mukana."]
    user_id = document["profile"]["id"]

    # Deleting needs the mailed code (the account has no password); a wrong code changes nothing.
    assert_error(client.delete("/me/account", headers=person.headers), 403, "Confirmation required")
    before = mailbox.snapshot()
    assert client.post("/me/account/delete-request", headers=person.headers).status_code == 204
    code = fragment_params(plain_text(mailbox.wait_for(person.email, "#account-delete:", before)),
                           "account-delete")["token"]
    wrong = f"{code[:-1]}{(int(code[-1]) + 1) % 10}"
    assert_error(client.delete("/me/account", params={"token": wrong}, headers=person.headers), 403, "Invalid code")
    assert client.get("/me", headers=person.headers).status_code == 200

    deleted = client.delete("/me/account", params={"token": code}, headers=person.headers)
    assert deleted.status_code == 204, deleted.text
    assert_signed_out(client, person)
    assert run_async(db_rows(system_stack.settings, select(users.c.id).where(users.c.id == user_id))) == []
    # What they wrote stays, anonymised.
    kept = select(memories.c.user_id).where(memories.c.id == memory)
    assert run_async(db_rows(system_stack.settings, kept)) == [(None,)]
    kept = select(comments.c.user_id).where(comments.c.id == comment)
    assert run_async(db_rows(system_stack.settings, kept)) == [(None,)]

    # Every read of the project works, for anonymous readers and for signed-in staff alike.
    base = f"/projects/{project}/sites/{site}"
    for headers in ({}, superuser.headers):
        for path in ("/projects", f"/projects/{project}", f"/projects/{project}/sites", base,
                     f"{base}?include_memories=true", f"{base}/memories?include_comments=true",
                     f"{base}/memories/{memory}", f"{base}/memories/{memory}/comments",
                     f"{base}/memories/{memory}/comments/{comment}"):
            response = client.get(path, headers=headers)
            assert response.status_code == 200, f"{path}: {response.text}"
        shown = client.get(f"{base}/memories/{memory}?include_comments=true", headers=headers).json()
        assert "user" not in shown
        [shown_comment] = [c for c in shown["comments"] if c["id"] == comment]
        assert "user" not in shown_comment

    # The address is free again: signing in makes a new account with a new name.
    again = sign_in(client, mailbox, person.email)
    fresh = client.get("/me", headers=again.headers).json()
    assert fresh["username"] != name
    assert "city" not in fresh
    assert client.get("/me/export", headers=again.headers).json()["profile"]["id"] != user_id
