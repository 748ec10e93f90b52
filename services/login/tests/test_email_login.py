"""E-mail link login end to end: request, mail in the file mailbox, exchange, then use the session."""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import httpx
from sqlalchemy import func, select

from muistot.db.tables import users
from muistot.text import fold
from muistot.validation import is_valid_username
from muistot_login import links

from .conftest import Mailbox, from_ip, link_in, new_email, new_ip


async def user_row(login: httpx.AsyncClient, email: str) -> Any:
    async with login.app.state.db.connect() as conn:  # type: ignore[attr-defined]
        return (await conn.execute(select(users).where(users.c.email_key == fold(email)))).mappings().first()


async def request_link(login: httpx.AsyncClient, email: str, **headers: str) -> httpx.Response:
    return await login.post("/auth/email", params={"email": email}, headers=from_ip(**headers))


async def exchange(login: httpx.AsyncClient, user: str, token: str, ip: str | None = None) -> httpx.Response:
    return await login.post("/auth/email/exchange", params={"user": user, "token": token}, headers=from_ip(ip))


async def test_new_address_full_flow_creates_the_account_at_exchange(
        login: httpx.AsyncClient, mailbox: Mailbox, service_client: Callable[[str], httpx.AsyncClient]) -> None:
    address = new_email("new")
    response = await request_link(login, address, **{"Muistot-Language": "en"})
    assert response.status_code == 204
    assert response.content == b""
    assert await user_row(login, address) is None  # no row until the link is used

    mail = await mailbox.last(address)
    assert mail["Subject"] == "Muistotkartalla Login"
    link = link_in(mail)
    assert link.action == "email-login"
    assert link.verified == "false"
    assert is_valid_username(link.user)
    assert len(link.token) == 200
    assert link.url.startswith(login.app.state.settings.public_url + "#email-login:")  # type: ignore[attr-defined]
    html = mail.get_body(("html",)).get_content()
    assert f"Hi {link.user}! Here is your login link" in html
    assert "Log In" in html

    signed_in = await exchange(login, link.user, link.token)
    assert signed_in.status_code == 200
    assert signed_in.content == b""
    scheme, _, token = signed_in.headers["Authorization"].partition(" ")
    assert scheme == "bearer"

    bearer = {"Authorization": f"Bearer {token}"}
    assert (await login.get("/auth/status", headers=bearer)).status_code == 200
    me = await service_client("users").get("/me", headers=bearer)
    assert me.status_code == 200
    assert me.json()["username"] == link.user
    assert me.json()["email"] == address
    row = await user_row(login, address)
    assert row["verified"] and row["username"] == link.user

    again = await exchange(login, link.user, link.token)
    assert again.status_code == 404
    assert again.json() == {"error": {"code": 404, "message": "Not found"}}


async def test_known_account_gets_a_verified_link_and_its_own_session(
        login: httpx.AsyncClient, mailbox: Mailbox, make_user: Callable[..., Any],
        service_client: Callable[[str], httpx.AsyncClient]) -> None:
    known = await make_user()
    assert (await request_link(login, known.email.upper())).status_code == 204
    link = link_in(await mailbox.last(known.email))
    assert (link.user, link.verified) == (known.username, "true")
    # A re-cased username still finds the account; the session carries the name as stored.
    response = await exchange(login, link.user.lower(), link.token)
    assert response.status_code == 200
    token = response.headers["Authorization"].split(" ", 1)[1]
    session = await login.app.state.sessions.validate(token)  # type: ignore[attr-defined]
    assert (session.user_id, session.username) == (known.id, known.username)
    assert abs(session.signed_in - time.time()) < 60  # a link sign-in counts as recent (MUISTOT_REAUTH_SECONDS)
    me = await service_client("users").get("/me", headers={"Authorization": f"Bearer {token}"})
    assert me.json()["username"] == known.username


async def test_mail_floods_create_no_rows_and_a_second_request_keeps_the_name(
        login: httpx.AsyncClient, mailbox: Mailbox) -> None:
    async with login.app.state.db.connect() as conn:  # type: ignore[attr-defined]
        before = await conn.scalar(select(func.count()).select_from(users))
    address = new_email("twice")
    assert (await request_link(login, address)).status_code == 204
    first = link_in(await mailbox.last(address))
    assert (await request_link(login, address)).status_code == 204
    second = link_in(await mailbox.last(address))
    for _ in range(3):
        assert (await request_link(login, new_email("flood"))).status_code == 204
    async with login.app.state.db.connect() as conn:  # type: ignore[attr-defined]
        assert await conn.scalar(select(func.count()).select_from(users)) == before
    assert second.user == first.user
    assert (await exchange(login, first.user, first.token)).status_code == 404  # replaced by the newer link
    assert (await exchange(login, second.user, second.token)).status_code == 200


async def test_wrong_token_and_wrong_user_are_not_found(login: httpx.AsyncClient, mailbox: Mailbox,
                                                        make_user: Callable[..., Any]) -> None:
    owner, other = await make_user(), await make_user()
    await request_link(login, owner.email)
    link = link_in(await mailbox.last(owner.email))
    wrong_token = await exchange(login, link.user, link.token[:-4] + "AAAA")
    assert wrong_token.status_code == 404
    assert wrong_token.json()["error"]["message"] == "Not found"
    assert (await exchange(login, other.username, link.token)).status_code == 404
    assert (await exchange(login, "NoSuchUser#0000", link.token)).status_code == 404
    # A couple of wrong guesses do not spoil the link for its owner.
    assert (await exchange(login, link.user, link.token)).status_code == 200


async def test_wrong_guesses_stop_the_guesser_not_the_link(login: httpx.AsyncClient, mailbox: Mailbox,
                                                            make_user: Callable[..., Any]) -> None:
    """Usernames are public: wrong guesses must not let a stranger burn someone else's link."""
    owner = await make_user()
    await request_link(login, owner.email)
    link = link_in(await mailbox.last(owner.email))
    guesser = new_ip()
    for _ in range(login.app.state.settings.login_token_attempts):  # type: ignore[attr-defined]
        assert (await exchange(login, link.user, "x" * 200, guesser)).status_code == 404
    refused = await exchange(login, link.user, "y" * 200, guesser)
    assert refused.status_code == 429
    assert refused.json() == {"error": {"code": 429, "message": "Too many requests"}}
    assert 1 <= int(refused.headers["Retry-After"]) <= 600
    # The guesser is stopped even with the right token; the owner, elsewhere, signs in with it.
    assert (await exchange(login, link.user, link.token, guesser)).status_code == 429
    assert (await exchange(login, link.user, link.token)).status_code == 200


async def test_expired_link_is_not_found(login: httpx.AsyncClient, mailbox: Mailbox,
                                         make_user: Callable[..., Any]) -> None:
    owner = await make_user()
    await request_link(login, owner.email)
    link = link_in(await mailbox.last(owner.email))
    redis = login.app.state.redis  # type: ignore[attr-defined]
    key = links.account_key(redis, owner.id)
    record = json.loads(await redis.cache.get(key))
    record["expires"] = time.time() - 1  # ten minutes have passed
    await redis.cache.set(key, json.dumps(record), keepttl=True)
    assert (await exchange(login, link.user, link.token)).status_code == 404


async def test_links_expire_from_redis_after_ten_minutes(login: httpx.AsyncClient, mailbox: Mailbox,
                                                         make_user: Callable[..., Any]) -> None:
    owner = await make_user()
    await request_link(login, owner.email)
    redis = login.app.state.redis  # type: ignore[attr-defined]
    ttl = await redis.cache.ttl(links.account_key(redis, owner.id))
    assert 0 < ttl <= 600
    stored = await redis.cache.get(links.account_key(redis, owner.id))
    link = link_in(await mailbox.last(owner.email))
    assert link.token.encode() not in stored  # only the digest is kept


async def test_invalid_email_is_422_in_the_contract_shape(login: httpx.AsyncClient) -> None:
    for bad in ("not-an-address", "a@b", ""):
        response = await request_link(login, bad)
        assert response.status_code == 422
        [error] = response.json()["error"]["errors"]
        assert error["loc"] == ["query", "email"]
        assert error["msg"] == "value is not a valid email address"
    missing = await login.post("/auth/email", headers=from_ip())
    assert missing.status_code == 422


async def test_display_name_form_is_reduced_to_the_address(login: httpx.AsyncClient, mailbox: Mailbox) -> None:
    local = new_email("Named").split("@")[0]
    assert (await request_link(login, f"Named Person <{local}@EXAMPLE.com>")).status_code == 204
    assert await mailbox.to(f"{local}@example.com")


async def test_language_of_the_mail_follows_the_request(login: httpx.AsyncClient, mailbox: Mailbox) -> None:
    cases = [
        ({"Muistot-Language": "fi", "Content-Language": "en"}, "fi"),
        ({"Content-Language": "en", "Accept-Language": "fi"}, "en"),
        ({"Accept-Language": "sv;q=1, en;q=0.4, fi;q=0.8"}, "fi"),
        ({"Accept-Language": "de"}, "fi"),  # unsupported → the default, never an error
        ({}, "fi"),
    ]
    for headers, expected in cases:
        address = new_email("lang")
        assert (await request_link(login, address, **headers)).status_code == 204
        mail = await mailbox.last(address)
        link = link_in(mail)
        if expected == "fi":
            assert mail["Subject"] == "Muistotkartalla Kirjautuminen"
            assert f"Hei {link.user}! Tässä kirjautumislinkkisi palveluun" in mail.get_body(("html",)).get_content()
            assert mail.get_body(("plain",)).get_content().startswith("Linkki kirjautumiseen: ")
        else:
            assert mail["Subject"] == "Muistotkartalla Login"
            assert mail.get_body(("plain",)).get_content().startswith("Login link: ")


async def test_signed_in_callers_get_403_and_bad_tokens_401(login: httpx.AsyncClient,
                                                            make_user: Callable[..., Any]) -> None:
    user = await make_user()
    headers = {**user.headers, **from_ip()}
    for path, params in (("/auth/email", {"email": new_email()}), ("/auth/email/exchange", {"user": "x", "token": "y"}),
                         ("/auth/confirm", {"user": "x", "token": "y"})):
        response = await login.post(path, params=params, headers=headers)
        assert response.status_code == 403, path
        assert response.json() == {"error": {"code": 403, "message": "Already signed-in"}}
    bad = await login.post("/auth/email", params={"email": new_email()},
                           headers={"Authorization": "Bearer " + "A" * 43, **from_ip()})
    assert bad.status_code == 401
    assert bad.json()["error"]["message"] == "Invalid Session"
    assert bad.headers["WWW-Authenticate"] == "Bearer"


async def test_status_and_oauth(login: httpx.AsyncClient, make_user: Callable[..., Any]) -> None:
    user = await make_user()
    assert (await login.get("/auth/status", headers=user.headers)).status_code == 200
    anonymous = await login.get("/auth/status")
    assert anonymous.status_code == 401 and anonymous.content == b""
    assert (await login.get("/auth/oauth")).json() == {"oauth_providers": [], "providers": []}


async def test_an_unreachable_name_generator_falls_back_to_the_built_in_one(
        login_app_with: Callable[..., Any], test_settings: Any) -> None:
    mailbox_settings = test_settings
    async with login_app_with(namegen_url="http://127.0.0.1:9") as client:
        address = new_email("namegen")
        assert (await request_link(client, address)).status_code == 204
        link = link_in(await Mailbox(mailbox_settings, client.app).last(address))
        assert is_valid_username(link.user)
        assert (await exchange(client, link.user, link.token)).status_code == 200


@contextmanager
def name_generator(name: str) -> Iterator[list[str]]:
    """A stand-in for the original generator's API (`GET /` → {"value": name}); yields the paths it served."""
    import threading
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

    served: list[str] = []

    class Namegen(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            served.append(self.path)
            body = json.dumps({"value": name}).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: object) -> None:
            return

    server = ThreadingHTTPServer(("127.0.0.1", 0), Namegen)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    served.append(f"http://127.0.0.1:{server.server_port}")  # first entry: the base URL
    try:
        yield served
    finally:
        server.shutdown()
        server.server_close()


async def test_an_external_name_generator_is_used_when_configured(
        login_app_with: Callable[..., Any], test_settings: Any) -> None:
    name = f"Ulkoinen Nimi#{int(time.time() * 1000) % 10000:04d}"
    with name_generator(name) as served:
        async with login_app_with(namegen_url=served[0]) as client:
            address = new_email("extname")
            assert (await request_link(client, address)).status_code == 204
            link = link_in(await Mailbox(test_settings, client.app).last(address))
            assert link.user == name
            assert (await exchange(client, link.user, link.token)).status_code == 200


async def test_known_addresses_take_the_same_path_as_new_ones(
        login_app_with: Callable[..., Any], test_settings: Any, make_user: Callable[..., Any]) -> None:
    """A name is picked for known addresses too, so their answer is not faster than a new address's
    (docs/contract.md, "Security fixes")."""
    known = await make_user()
    with name_generator(f"Nimi Kone#{time.time_ns() % 10_000:04d}") as served:
        async with login_app_with(namegen_url=served[0]) as client:
            for address in (known.email, new_email("same-path")):
                before = len(served)
                response = await request_link(client, address)
                assert response.status_code == 204 and response.content == b""
                assert len(served) == before + 1, address
            link = link_in(await Mailbox(test_settings, client.app).last(known.email))
            assert (link.user, link.verified) == (known.username, "true")  # the picked name is not used


async def test_exchange_takes_the_user_as_mailed_or_percent_encoded_once_more(
        login: httpx.AsyncClient, mailbox: Mailbox, make_user: Callable[..., Any]) -> None:
    """The frontend may pass `user` from the link's fragment still encoded: it is decoded once more
    (docs/sign-in.md, "By e-mail link (no password)")."""
    from urllib.parse import quote

    owner = await make_user(username=f"ÄlykäsKettu#{time.time_ns() % 10_000:04d}x")
    for encode in (lambda name: name, quote):
        await request_link(login, owner.email)
        link = link_in(await mailbox.last(owner.email))
        assert link.user == owner.username
        response = await exchange(login, encode(link.user), link.token)
        assert response.status_code == 200, encode(link.user)
        assert response.headers["Authorization"].startswith("bearer ")
