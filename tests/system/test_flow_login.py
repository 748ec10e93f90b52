"""Signing in through the gateway: abuse limits on the e-mail login, wrong link guesses, and identity
headers forged by a client (stripped by the gateway, so the request is anonymous or the token's own)."""

from __future__ import annotations

import time

import httpx
import jwt
import pytest

from muistot.identity import ALGORITHM, AUDIENCE, IDENTITY_HEADER
from tests.system.conftest import GatewayUser, RunningStack, run_async
from tests.system.flows import (
    Mailbox,
    Session,
    assert_error,
    client_address,
    fragment_params,
    new_email,
    plain_text,
    request_login_link,
    sign_in,
    username_of,
)


def assert_too_many(response: httpx.Response, window: int = 60) -> None:
    assert_error(response, 429, "Too many requests")
    assert 1 <= int(response.headers["retry-after"]) <= window


# --- rate limits ---------------------------------------------------------------------------------


def test_login_mail_is_limited_per_address(system_stack: RunningStack, client: httpx.Client) -> None:
    limit = system_stack.settings.login_limit_per_address
    victim = new_email("victim")
    for _ in range(limit):  # from different clients: the address has its own allowance
        assert request_login_link(client, victim, client_address()).status_code == 204
    assert_too_many(request_login_link(client, victim, client_address()))
    # Other addresses are not affected, not even from the same client.
    ip = client_address()
    assert request_login_link(client, new_email(), ip).status_code == 204


def test_login_mail_is_limited_per_client(system_stack: RunningStack, client: httpx.Client,
                                          mailbox: Mailbox) -> None:
    limit = system_stack.settings.login_limit_per_ip
    ip = client_address()
    for _ in range(limit):
        assert request_login_link(client, new_email(), ip).status_code == 204
    refused_address = new_email("refused")
    before = mailbox.snapshot()
    assert_too_many(request_login_link(client, refused_address, ip))
    # Another client is served, and its mail arrives; the refused request mailed nothing.
    other = new_email("served")
    assert request_login_link(client, other, client_address()).status_code == 204
    mailbox.wait_for(other, "#email-login:", before)
    assert not [name for name in mailbox.snapshot() - before
                if refused_address in (mailbox.directory / name).read_text(errors="replace")]


def test_wrong_guesses_stop_the_guesser_and_the_link_still_works(system_stack: RunningStack, client: httpx.Client,
                                                                  mailbox: Mailbox) -> None:
    email, ip = new_email("guessed"), client_address()
    before = mailbox.snapshot()
    assert request_login_link(client, email, ip).status_code == 204
    link = fragment_params(plain_text(mailbox.wait_for(email, "#email-login:", before)), "email-login")
    assert link["verified"] == "false"  # a first sign-in
    guesser = {"X-Forwarded-For": client_address()}
    for attempt in range(system_stack.settings.login_token_attempts):
        guess = client.post("/auth/email/exchange", params={"user": link["user"], "token": f"wrong-{attempt}"},
                            headers=guesser)
        assert_error(guess, 404, "Not found")
    assert_too_many(client.post("/auth/email/exchange", params=link, headers=guesser), window=600)
    # The owner's link was not burned by the stranger.
    exchanged = client.post("/auth/email/exchange", params=link, headers={"X-Forwarded-For": ip})
    assert exchanged.status_code == 200, exchanged.text
    session = Session(email=email, ip=ip, token=exchanged.headers["authorization"].split(" ", 1)[1])
    assert client.get("/me", headers=session.headers).json()["email"] == email


# --- forged identity headers ---------------------------------------------------------------------


def forged_identity(secret: str, victim: GatewayUser) -> str:
    """A well-formed identity claiming to be `victim` (a superuser), signed with the real secret."""
    now = int(time.time())
    claims = {"sub": str(victim.id), "name": victim.username, "su": True, "sid": victim.session_id, "iat": now,
              "exp": now + 60, "aud": AUDIENCE}
    return jwt.encode(claims, secret, algorithm=ALGORITHM)


@pytest.fixture(scope="module")
def victim(system_stack: RunningStack) -> GatewayUser:
    return run_async(system_stack.create_user(superuser=True))


@pytest.fixture(scope="module")
def forged(system_stack: RunningStack, victim: GatewayUser) -> str:
    token = forged_identity(system_stack.settings.identity_secret, victim)
    # Control: sent straight to a service (never possible from outside), it would pass as the victim.
    direct = httpx.get(f"{system_stack.services['users']}/me", headers={IDENTITY_HEADER: token})
    assert direct.status_code == 200, direct.text
    assert direct.json()["username"] == victim.username
    return token


@pytest.mark.parametrize("header", [IDENTITY_HEADER, "x_muistot_identity"])
def test_forged_identity_without_a_token_is_anonymous(client: httpx.Client, forged: str, header: str) -> None:
    headers = {header: forged}
    assert_error(client.get("/me", headers=headers), 401)
    assert_error(client.get("/admin/superusers", headers=headers), 401)
    assert_error(client.post("/projects", headers=headers, json={"id": "forged-project",
                                                               "info": {"lang": "fi", "name": "Väärennös"}}), 401)
    status = client.get("/auth/status", headers=headers)
    assert status.status_code == 401 and status.content == b""  # anonymous: no session, empty body
    # Login endpoints take it for what it is: an anonymous visitor, not a signed-in one.
    assert request_login_link(client, new_email("anon"), client_address()).status_code == 204


@pytest.mark.parametrize("header", [IDENTITY_HEADER, "x_muistot_identity"])
def test_forged_identity_with_a_token_is_the_tokens_own_user(client: httpx.Client, mailbox: Mailbox, forged: str,
                                                              header: str) -> None:
    attacker: Session = sign_in(client, mailbox)
    name = username_of(client, attacker)
    headers = {**attacker.headers, header: forged}
    me = client.get("/me", headers=headers)
    assert me.status_code == 200, me.text
    assert me.json()["username"] == name
    assert_error(client.get("/admin/superusers", headers=headers), 403)
    assert_error(client.post("/projects", headers=headers, json={"id": "forged-project",
                                                               "info": {"lang": "fi", "name": "Väärennös"}}), 403)
    assert_error(client.post("/auth/email", params={"email": attacker.email},
                             headers={**headers, "X-Forwarded-For": attacker.ip}), 403, "Already signed-in")
