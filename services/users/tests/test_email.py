"""`POST /me/email` mails a link to the new address; `POST /me/email/confirm` makes the change."""

import datetime as dt
import hashlib

import pytest
from sqlalchemy import select

from muistot.db.tables import login_verifiers
from muistot.db.tables import users as users_table


def bearer(token):
    return {"Authorization": f"Bearer {token}"}


def new_token(response):
    scheme, _, token = response.headers["authorization"].partition(" ")
    assert scheme == "bearer"
    return token


async def stored_email(users, user_id):
    async with users.app.state.db.connect() as conn:
        return await conn.scalar(select(users_table.c.email).where(users_table.c.id == user_id))


async def test_change_takes_effect_only_after_confirmation(users, make_user, mailbox, link_token, extra_session,
                                                           is_live):
    user = await make_user()
    other_device = await extra_session(user)
    new_address = f"new-{user.username.lower()}@Example.COM"
    response = await users.post("/me/email", params={"email": new_address}, headers=user.headers)
    assert response.status_code == 200
    assert response.content == b""
    token = new_token(response)
    assert not await is_live(user.token)
    assert await stored_email(users, user.id) == user.email  # nothing changed yet

    normalized = new_address.replace("Example.COM", "example.com")
    [link] = await mailbox(normalized)
    secret = link_token(link, "email-change")
    assert link.text.count(users.app.state.settings.public_url + "#email-change:token=") == 1
    [notice] = await mailbox(user.email)
    assert "n***@example.com" in notice.text and secret not in notice.text

    async with users.app.state.db.connect() as conn:
        row = (await conn.execute(select(login_verifiers).where(login_verifiers.c.user_id == user.id))).mappings().one()
    assert row["purpose"] == "email-change" and row["payload"] == normalized
    assert row["digest"] == hashlib.sha256(f"email-change:{user.id}:{secret}".encode()).hexdigest()
    assert secret not in str(dict(row))
    assert dt.timedelta(hours=23) < row["expires_at"] - row["created_at"] <= dt.timedelta(hours=24)

    confirmed = await users.post("/me/email/confirm", params={"token": secret}, headers=bearer(token))
    assert confirmed.status_code == 204
    assert (await users.get("/me", headers=bearer(token))).json()["email"] == normalized
    assert not await is_live(other_device)  # the sign-in address changed: other devices sign in again
    again = await users.post("/me/email/confirm", params={"token": secret}, headers=bearer(token))
    assert again.status_code == 404  # single use


async def test_same_address_is_304(users, make_user, mailbox, is_live):
    user = await make_user()
    response = await users.post("/me/email", params={"email": user.email.upper()}, headers=user.headers)
    assert response.status_code == 304
    assert "authorization" not in response.headers
    assert await is_live(user.token)
    assert await mailbox(user.email) == []


async def test_address_of_another_account_gets_a_notice_not_a_link(users, make_user, mailbox):
    owner, user = await make_user(), await make_user()
    response = await users.post("/me/email", params={"email": owner.email}, headers=user.headers)
    assert response.status_code == 200  # the same answer as for a free address (no enumeration)
    [notice] = await mailbox(owner.email)
    assert "#email-change" not in notice.text
    assert len(await mailbox(user.email)) == 1  # the requester's own notice is sent in both cases
    assert await stored_email(users, user.id) == user.email


async def test_confirm_is_409_when_the_address_was_taken_meanwhile(users, make_user, mailbox, link_token):
    user = await make_user()
    wanted = f"wanted-{user.username.lower()}@example.com"
    token = new_token(await users.post("/me/email", params={"email": wanted}, headers=user.headers))
    secret = link_token((await mailbox(wanted))[0], "email-change")
    await make_user(email=wanted.upper())
    response = await users.post("/me/email/confirm", params={"token": secret}, headers=bearer(token))
    assert response.status_code == 409
    assert response.json() == {"error": {"code": 409, "message": "Email in use"}}
    assert await stored_email(users, user.id) == user.email


async def test_wrong_tokens_use_up_the_link(users, make_user, mailbox, link_token):
    user = await make_user()
    wanted = f"retry-{user.username.lower()}@example.com"
    token = new_token(await users.post("/me/email", params={"email": wanted}, headers=user.headers))
    secret = link_token((await mailbox(wanted))[0], "email-change")
    for _ in range(5):
        wrong = await users.post("/me/email/confirm", params={"token": "x" * 43}, headers=bearer(token))
        assert wrong.status_code == 404
        assert wrong.json()["error"]["message"] == "Not Found"
    late = await users.post("/me/email/confirm", params={"token": secret}, headers=bearer(token))
    assert late.status_code == 404
    assert await stored_email(users, user.id) == user.email


async def test_a_link_works_only_for_the_account_that_asked(users, make_user, mailbox, link_token):
    user, other = await make_user(), await make_user()
    wanted = f"mine-{user.username.lower()}@example.com"
    await users.post("/me/email", params={"email": wanted}, headers=user.headers)
    secret = link_token((await mailbox(wanted))[0], "email-change")
    response = await users.post("/me/email/confirm", params={"token": secret}, headers=other.headers)
    assert response.status_code == 404
    assert await stored_email(users, other.id) == other.email


async def test_mail_requests_are_rate_limited(users, make_user):
    user = await make_user()
    token = user.token
    statuses = []
    for i in range(6):
        response = await users.post("/me/email", params={"email": f"n{i}-{user.username.lower()}@example.com"},
                                    headers=bearer(token))
        statuses.append(response.status_code)
        if response.status_code == 200:
            token = new_token(response)
    assert statuses == [200] * 5 + [429]
    assert response.json()["error"]["code"] == 429
    assert int(response.headers["retry-after"]) > 0


@pytest.mark.parametrize("address", ["not-an-address", "a@", "@example.com", "x" * 250 + "@example.com"])
async def test_invalid_address_is_422(users, make_user, address):
    user = await make_user()
    response = await users.post("/me/email", params={"email": address}, headers=user.headers)
    assert response.status_code == 422
    assert response.json()["error"]["errors"][0]["loc"] == ["query", "email"]


async def test_confirm_needs_a_token(users, make_user):
    user = await make_user()
    assert (await users.post("/me/email/confirm", headers=user.headers)).status_code == 422
    assert (await users.post("/me/email/confirm", params={"token": ""}, headers=user.headers)).status_code == 422


@pytest.mark.parametrize(("path", "params"), [("/me/email", {"email": "a@example.com"}),
                                              ("/me/email/confirm", {"token": "abc"})])
async def test_email_endpoints_need_a_session(users, path, params):
    assert (await users.post(path, params=params)).status_code == 401


async def test_mails_are_in_the_requested_language_and_the_owners_notice_in_the_owners(users, make_user, mailbox):
    user, owner = await make_user(), await make_user()
    async with users.app.state.db.transaction() as conn:
        await conn.execute(users_table.update().where(users_table.c.id == owner.id).values(lang="en"))
    new_address = f"lang-{user.username.lower()}@example.com"
    response = await users.post("/me/email", params={"email": new_address},
                                headers={**user.headers, "Muistot-Language": "en"})
    assert response.status_code == 200
    [link] = await mailbox(new_address)
    assert (link.lang, link.subject) == ("en", "Muistotkartalla: confirm your new e-mail address")
    assert "Confirm Address" in link.html
    [notice] = await mailbox(user.email)
    assert (notice.lang, notice.subject) == ("en", "Muistotkartalla: change of e-mail address")

    # No language asked for: the default (fi). The owner of a taken address gets their own language.
    again = await users.post("/me/email", params={"email": owner.email}, headers=bearer(new_token(response)))
    assert again.status_code == 200
    notices = await mailbox(user.email)
    assert notices[0].subject == "Muistotkartalla: sähköpostiosoitteen vaihto"  # newest first
    [in_use] = await mailbox(owner.email)
    assert (in_use.lang, in_use.subject) == ("en", "Muistotkartalla: e-mail address already in use")
    assert "<a " not in in_use.html  # a notice without a link has no button


async def test_another_accounts_address_leaves_the_same_traces_as_a_free_one(users, make_user, mailbox):
    """The export's pending requests do not tell whether the asked-for address has an account
    (docs/contract.md, "Security fixes")."""
    owner, user = await make_user(), await make_user()
    free = f"free-{user.username.lower()}@example.com"
    token, pending = user.token, []
    for address in (owner.email, free):
        response = await users.post("/me/email", params={"email": address}, headers=bearer(token))
        assert response.status_code == 200
        token = new_token(response)
        doc = (await users.get("/me/export", headers=bearer(token))).json()
        pending.append([(p["purpose"], p["payload"]) for p in doc["pending_requests"]])
    assert pending == [[("email-change", owner.email)], [("email-change", free)]]
    assert len(await mailbox(free)) == 1 and await stored_email(users, user.id) == user.email
