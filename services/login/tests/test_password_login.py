"""Password login, registration and confirmation, including the account pre-hijack scenario."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import httpx
from sqlalchemy import func, select

from muistot.db.tables import users
from muistot.settings import Settings
from muistot.text import fold

from .conftest import Mailbox, from_ip, link_in, new_email, new_ip

PASSWORD = "correct horse battery"


def new_name(tag: str = "Reg") -> str:
    import secrets

    return f"{tag}{secrets.token_hex(4)}"


async def register(login: httpx.AsyncClient, username: str, email: str, password: str = PASSWORD,
                   **headers: str) -> httpx.Response:
    return await login.post("/auth/register", json={"username": username, "email": email, "password": password},
                            headers=from_ip(**headers))


async def password_login(login: httpx.AsyncClient, password: str = PASSWORD, **identifier: str) -> httpx.Response:
    return await login.post("/auth/password", json={**identifier, "password": password}, headers=from_ip())


async def confirm(login: httpx.AsyncClient, user: str, token: str, ip: str | None = None) -> httpx.Response:
    return await login.post("/auth/confirm", params={"user": user, "token": token}, headers=from_ip(ip))


async def count_users(login: httpx.AsyncClient, email: str) -> int:
    async with login.app.state.db.connect() as conn:  # type: ignore[attr-defined]
        return int(await conn.scalar(select(func.count()).select_from(users).where(users.c.email_key == fold(email))))


async def test_register_confirm_then_password_login(login: httpx.AsyncClient, mailbox: Mailbox,
                                                    service_client: Callable[[str], httpx.AsyncClient]) -> None:
    name, address = new_name(), new_email("reg")
    response = await register(login, name, address, **{"Muistot-Language": "en"})
    assert response.status_code == 201
    assert response.content == b""
    mail = await mailbox.last(address)
    assert mail["Subject"] == "Muistotkartalla Verification"
    link = link_in(mail)
    assert (link.action, link.user, link.verified) == ("verify-user", name, "false")
    assert link.token.isdigit() and len(link.token) == 6
    assert f"enter the code: {link.token}." in mail.get_body(("html",)).get_content()

    # Not confirmed yet: the right password does not sign in.
    early = await password_login(login, username=name)
    assert early.status_code == 403
    assert early.json()["error"]["message"] == "Not verified"

    confirmed = await confirm(login, link.user, link.token)
    assert confirmed.status_code == 200
    assert confirmed.headers["Authorization"].startswith("bearer ")
    assert (await confirm(login, link.user, link.token)).status_code == 404  # single use

    by_name = await password_login(login, username=name.upper())
    assert by_name.status_code == 200
    assert by_name.content == b""
    token = by_name.headers["Authorization"].removeprefix("bearer ")
    me = await service_client("users").get("/me", headers={"Authorization": f"Bearer {token}"})
    assert me.json()["username"] == name
    assert (await password_login(login, email=address)).status_code == 200


async def test_wrong_password_and_unknown_accounts_get_the_same_400(login: httpx.AsyncClient,
                                                                    mailbox: Mailbox) -> None:
    name, address = new_name(), new_email("pw")
    await register(login, name, address)
    link = link_in(await mailbox.last(address))
    assert (await confirm(login, link.user, link.token)).status_code == 200
    answers = [
        await password_login(login, password="wrong password", username=name),
        await password_login(login, username="NobodyHere"),
        await password_login(login, email=new_email("nobody")),
    ]
    for answer in answers:
        assert answer.status_code == 400
        assert answer.json() == {"error": {"code": 400, "message": "Bad Request"}}
        assert "authorization" not in answer.headers


async def test_password_login_needs_exactly_one_identifier(login: httpx.AsyncClient) -> None:
    neither = await login.post("/auth/password", json={"password": "x"}, headers=from_ip())
    assert neither.status_code == 422
    assert neither.json()["error"]["errors"] == [
        {"loc": ["body", "__root__"], "msg": "Identifier Required", "type": "value_error"}]
    both = await login.post("/auth/password", json={"username": "abcd", "email": "a@example.com", "password": "x"},
                            headers=from_ip())
    assert both.status_code == 422
    assert both.json()["error"]["errors"][0]["msg"] == "Only one identifier allowed"
    bad_email = await login.post("/auth/password", json={"email": "nope", "password": "x"}, headers=from_ip())
    assert bad_email.status_code == 422


async def test_registration_validation(login: httpx.AsyncClient) -> None:
    address = new_email("val")
    for username in ("abc", "x" * 65, "bad/name", "<b>name</b>"):
        response = await register(login, username, address)
        assert response.status_code == 422, username
        assert response.json()["error"]["errors"][0]["loc"] == ["body", "username"]
    short = await register(login, new_name(), address, password="short")
    assert short.status_code == 422
    assert short.json()["error"]["errors"][0]["loc"] == ["body", "password"]
    assert (await register(login, new_name(), "not-an-address")).status_code == 422
    assert await count_users(login, address) == 0


async def test_taken_username_is_409(login: httpx.AsyncClient, make_user: Callable[..., Any]) -> None:
    taken = await make_user()
    response = await register(login, taken.username.lower(), new_email("dup"))
    assert response.status_code == 409
    assert response.json()["error"]["message"] == "Username already in use"


async def test_taken_address_answers_201_and_mails_its_owner_a_login_link(
        login: httpx.AsyncClient, mailbox: Mailbox, make_user: Callable[..., Any]) -> None:
    owner = await make_user()
    response = await register(login, new_name(), owner.email, **{"Muistot-Language": "en"})
    assert response.status_code == 201
    assert await count_users(login, owner.email) == 1
    mail = await mailbox.last(owner.email)
    assert "already has an account" in mail.get_body(("plain",)).get_content()
    link = link_in(mail)
    assert (link.action, link.user) == ("email-login", owner.username)
    signed_in = await login.post("/auth/email/exchange", params={"user": link.user, "token": link.token},
                                 headers=from_ip())
    assert signed_in.status_code == 200


async def test_wrong_codes_are_404_and_stop_the_guesser_not_the_owner(login: httpx.AsyncClient,
                                                                      mailbox: Mailbox) -> None:
    name, address = new_name(), new_email("code")
    await register(login, name, address)
    link = link_in(await mailbox.last(address))
    wrong = "000000" if link.token != "000000" else "111111"
    guesser = new_ip()
    first = await confirm(login, name, wrong, guesser)
    assert first.status_code == 404
    assert first.json() == {"error": {"code": 404, "message": "Not Found"}}
    assert (await confirm(login, "NoSuchUser", link.token)).status_code == 404
    for _ in range(login.app.state.settings.login_token_attempts - 1):  # type: ignore[attr-defined]
        assert (await confirm(login, name, wrong, guesser)).status_code == 404
    assert (await confirm(login, name, link.token, guesser)).status_code == 429
    assert (await confirm(login, name, link.token)).status_code == 200


async def test_a_code_dies_after_many_wrong_guesses_from_anyone(login_app_with: Callable[..., Any],
                                                                test_settings: Settings) -> None:
    """Six digits can be guessed by many clients together, so the code itself has a ceiling too."""
    async with login_app_with(login_code_max_guesses=3) as client:
        name, address = new_name(), new_email("many")
        await register(client, name, address)
        code = link_in(await Mailbox(test_settings, client.app).last(address))
        wrong = "000000" if code.token != "000000" else "111111"
        for _ in range(3):
            assert (await confirm(client, name, wrong)).status_code == 404  # each from another client
        assert (await confirm(client, name, code.token)).status_code == 404
        # The owner still gets in by an e-mail link.
        assert (await client.post("/auth/email", params={"email": address}, headers=from_ip())).status_code == 204


async def test_codes_and_login_links_are_not_interchangeable(login: httpx.AsyncClient, mailbox: Mailbox) -> None:
    name, address = new_name(), new_email("mix")
    await register(login, name, address)
    code = link_in(await mailbox.last(address))
    exchanged = await login.post("/auth/email/exchange", params={"user": name, "token": code.token},
                                 headers=from_ip())
    assert exchanged.status_code == 404
    await login.post("/auth/email", params={"email": address}, headers=from_ip())
    login_link = link_in(await mailbox.last(address))
    assert login_link.action == "email-login"
    assert (await confirm(login, name, login_link.token)).status_code == 404
    assert (await confirm(login, name, code.token)).status_code == 200


async def test_pre_hijacking_by_registration_is_refused(login: httpx.AsyncClient, mailbox: Mailbox,
                                                        service_client: Callable[[str], httpx.AsyncClient]) -> None:
    """Account pre-hijacking (docs/contract.md, "Security fixes"): an attacker registers the victim's address
    with a password of their choosing."""
    victim = new_email("victim")
    attacker_name, attacker_password = new_name("Evil"), "attacker knows this"
    assert (await register(login, attacker_name, victim, password=attacker_password)).status_code == 201
    # The attacker cannot use the password while the address is unconfirmed.
    early = await password_login(login, password=attacker_password, email=victim)
    assert early.status_code == 403
    assert "authorization" not in early.headers

    # The victim signs in by e-mail link; that proves the address and wipes the unconfirmed password.
    await login.post("/auth/email", params={"email": victim}, headers=from_ip())
    link = link_in(await mailbox.last(victim))
    assert link.action == "email-login"
    victim_login = await login.post("/auth/email/exchange", params={"user": link.user, "token": link.token},
                                    headers=from_ip())
    assert victim_login.status_code == 200

    for identifier in ({"email": victim}, {"username": attacker_name}):
        late = await password_login(login, password=attacker_password, **identifier)
        assert late.status_code == 400
        assert "authorization" not in late.headers
    # The code mailed by the attacker's registration is void as well.
    codes = [link_in(mail) for mail in await mailbox.to(victim) if link_in(mail).action == "verify-user"]
    assert (await confirm(login, attacker_name, codes[0].token)).status_code == 404
    async with login.app.state.db.connect() as conn:  # type: ignore[attr-defined]
        row = (await conn.execute(select(users).where(users.c.email_key == fold(victim)))).mappings().one()
    assert row["password_hash"] is None and row["verified"]


async def test_password_endpoints_refuse_signed_in_callers(login: httpx.AsyncClient,
                                                           make_user: Callable[..., Any]) -> None:
    user = await make_user()
    headers = {**user.headers, **from_ip()}
    for path, body in (("/auth/password", {"username": "someone", "password": "x"}),
                       ("/auth/register", {"username": new_name(), "email": new_email(), "password": PASSWORD})):
        response = await login.post(path, json=body, headers=headers)
        assert response.status_code == 403
        assert response.json()["error"]["message"] == "Already signed-in"


async def test_unconfirmed_registrations_are_purged_a_day_after_their_code_expired(
        login: httpx.AsyncClient, mailbox: Mailbox, test_settings: Any) -> None:
    from datetime import timedelta

    from sqlalchemy import update

    from muistot import jobs
    from muistot.db.engine import utcnow
    from muistot.db.tables import login_verifiers

    stale_name, stale_address = new_name("Stale"), new_email("stale")
    fresh_name, fresh_address = new_name("Fresh"), new_email("fresh")
    for name, address in ((stale_name, stale_address), (fresh_name, fresh_address)):
        assert (await register(login, name, address)).status_code == 201
    async with login.app.state.db.transaction() as conn:  # type: ignore[attr-defined]
        stale_id = await conn.scalar(select(users.c.id).where(users.c.email_key == fold(stale_address)))
        await conn.execute(update(login_verifiers).where(login_verifiers.c.user_id == stale_id)
                           .values(expires_at=utcnow() - timedelta(days=2)))
    await jobs.purge_unconfirmed_registrations(mailbox.context)
    assert await count_users(login, stale_address) == 0
    assert await count_users(login, fresh_address) == 1
    # The name and the address are free again.
    assert (await register(login, stale_name, stale_address)).status_code == 201
    assert await count_users(login, stale_address) == 1


async def test_signed_in_caller_with_an_invalid_registration_gets_422_first(
        login: httpx.AsyncClient, make_user: Callable[..., Any]) -> None:
    """Validation is answered before "Already signed-in" (docs/contract.md, "Order of checks"), the password
    policy included."""
    user = await make_user()
    for body in ({"username": new_name(), "email": new_email(), "password": "short"},
                 {"username": "x", "email": new_email(), "password": PASSWORD}):
        response = await login.post("/auth/register", json=body, headers={**user.headers, **from_ip()})
        assert response.status_code == 422, body
    body = {"username": new_name(), "email": new_email(), "password": PASSWORD}
    valid = await login.post("/auth/register", json=body, headers={**user.headers, **from_ip()})
    assert valid.status_code == 403
    assert valid.json() == {"error": {"code": 403, "message": "Already signed-in"}}


async def test_an_oversized_body_is_413_before_anything_reads_it(login: httpx.AsyncClient) -> None:
    address = new_email("huge")
    body = {"username": new_name(), "email": address, "password": PASSWORD, "padding": "x" * 70_000}
    response = await login.post("/auth/register", json=body, headers=from_ip())
    assert response.status_code == 413
    assert response.json() == {"error": {"code": 413, "message": "Request body too large"}}
    assert await count_users(login, address) == 0
