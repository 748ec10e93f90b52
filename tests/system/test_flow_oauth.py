"""Signing in with an OpenID Connect provider, through the real gateway, against real provider processes.

`oidc-provider-mock` runs as processes of their own: `mock` (the ordinary provider), `expired` (its
ID tokens expire an hour before they are issued), `rotating` (stopped to be down, restarted for a new
signing key); `relayed` is the mock behind a relay that can tamper with its ID tokens or have its codes
redeemed for another client. `offline` names an issuer where nothing listens.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from dataclasses import dataclass
from urllib.parse import parse_qsl, urlsplit

import httpx
import pytest
from sqlalchemy import func, select

from muistot.db.tables import user_identities, users
from muistot.identities import identity_key
from muistot.providers import OidcProvider
from muistot.settings import Settings
from muistot_tooling.testing.oidc import ProviderProcess, TokenRelay, claims_of
from muistot_tooling.testing.ports import free_port
from tests.system.conftest import RunningStack, run_async, stack_settings, start_stack
from tests.system.flows import (
    Mailbox,
    Session,
    assert_error,
    client_address,
    db_rows,
    describe,
    exchange_provider_code,
    new_email,
    return_from_provider,
    sign_in,
    sign_in_with_provider,
    start_provider_sign_in,
)

CLIENT_ID = "muistot-web"
FAILURE_LIMIT = 6  # MUISTOT_LOGIN_ATTEMPTS_PER_IP of this stack


@dataclass
class Providers:
    mock: ProviderProcess
    expired: ProviderProcess
    rotating: ProviderProcess
    relay: TokenRelay


@pytest.fixture(scope="module")
def providers(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Providers]:
    logs = tmp_path_factory.mktemp("provider-logs")
    mock = ProviderProcess(logs / "mock.log").start()
    expired = ProviderProcess(logs / "expired.log", token_max_age=-3600).start()
    rotating = ProviderProcess(logs / "rotating.log").start()
    relay = TokenRelay(mock.url).start()
    try:
        yield Providers(mock=mock, expired=expired, rotating=rotating, relay=relay)
    finally:
        relay.stop()
        for process in (mock, expired, rotating):
            process.stop()


def provider(name: str, issuer: str, label: str = "") -> OidcProvider:
    return OidcProvider(name=name, issuer=issuer, client_id=CLIENT_ID, client_secret=f"{name}-k3y-9f2c7a",
                        label=label)


@pytest.fixture(scope="module")
def stack(test_settings: Settings, providers: Providers,
          tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningStack]:
    configured = [provider("mock", providers.mock.url, "Mock ID"), provider("relayed", providers.relay.url),
                  provider("expired", providers.expired.url), provider("rotating", providers.rotating.url),
                  provider("offline", f"http://127.0.0.1:{free_port()}")]
    settings = stack_settings(test_settings, oidc_providers=configured, public_url="http://frontend.example/app",
                              login_attempts_per_ip=FAILURE_LIMIT)
    with start_stack(settings, tmp_path_factory.mktemp("oauth-stack-logs")) as running:
        yield running


@pytest.fixture(scope="module")
def gateway(stack: RunningStack) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=stack.url, timeout=20) as client:
        yield client


@pytest.fixture(scope="module")
def mailbox(stack: RunningStack) -> Mailbox:
    return Mailbox(stack.settings)


def new_subject(tag: str = "person") -> str:
    return f"{tag}-{secrets.token_hex(5)}"


def me(gateway: httpx.Client, session: Session) -> dict:
    answer = gateway.get("/me", headers=session.headers)
    assert answer.status_code == 200, describe(answer)
    return answer.json()


def identity_rows(settings: Settings, issuer: str, subject: str) -> list:
    return run_async(db_rows(settings, select(user_identities.c.user_id)
                             .where(user_identities.c.identity_key == identity_key(issuer, subject))))


def user_count(settings: Settings) -> int:
    return run_async(db_rows(settings, select(func.count()).select_from(users)))[0][0]


def refused_callback(stack: RunningStack, gateway: httpx.Client, callback: str, ip: str, reason: str) -> list[str]:
    """The callback's redirect to `#oauth-error:error=<reason>`; returns what the login service logged."""
    returned = return_from_provider(gateway, stack.settings, callback, ip)
    assert returned.action == "oauth-error", returned
    assert returned.params["error"] == reason, returned
    messages = stack.messages(returned.request_id, "login")
    assert any(f"refused: {reason}" in message for message in messages), messages
    return messages


# --- the flow ------------------------------------------------------------------------------------


def test_the_providers_are_listed_in_the_contracts_shape(gateway: httpx.Client) -> None:
    listed = gateway.get("/auth/oauth")
    assert listed.status_code == 200, describe(listed)
    body = listed.json()
    assert body["oauth_providers"] == ["mock", "relayed", "expired", "rotating", "offline"]
    assert body["providers"][0] == {"name": "mock", "label": "Mock ID"}
    assert body["providers"][1] == {"name": "relayed", "label": "relayed"}  # the label defaults to the name


def test_the_redirect_to_the_provider_carries_pkce_state_nonce_and_our_callback(stack, gateway) -> None:
    url = start_provider_sign_in(gateway, "mock", client_address())
    parts = urlsplit(url)
    assert f"{parts.scheme}://{parts.netloc}" == stack.settings.oidc_providers[0].issuer
    query = dict(parse_qsl(parts.query))
    assert query["response_type"] == "code" and query["client_id"] == CLIENT_ID
    assert query["redirect_uri"] == f"{stack.url}/auth/oauth/mock/callback"
    assert query["code_challenge_method"] == "S256" and len(query["code_challenge"]) == 43
    assert len(query["state"]) >= 43 and len(query["nonce"]) >= 43 and query["state"] != query["nonce"]
    assert set(query["scope"].split()) == {"openid", "email", "profile"}


def test_a_first_sign_in_makes_an_account_with_a_generated_name_and_the_next_one_returns_to_it(
        stack, gateway, providers) -> None:
    sub = new_subject("first")
    # An address the provider does not vouch for joins nothing and is not given to the account.
    providers.mock.set_user(sub, {"email": new_email("unverified"), "email_verified": False})
    first = sign_in_with_provider(gateway, stack.settings, "mock", providers.mock.authorize, sub)
    profile = me(gateway, first)
    assert profile["username"] and "email" not in profile
    assert [(linked["provider"], linked["label"]) for linked in profile["providers"]] == [("mock", "Mock ID")]
    again = sign_in_with_provider(gateway, stack.settings, "mock", providers.mock.authorize, sub)
    assert again.token != first.token
    assert me(gateway, again)["username"] == profile["username"]
    assert len(identity_rows(stack.settings, providers.mock.url, sub)) == 1


def test_a_verified_address_links_the_first_sign_in_to_the_account_that_has_it(
        stack, gateway, mailbox, providers) -> None:
    email = new_email("linked")
    by_mail = sign_in(gateway, mailbox, email)
    username = me(gateway, by_mail)["username"]
    sub = new_subject("linked")
    providers.mock.set_user(sub, {"email": email.upper().replace("@EXAMPLE.COM", "@Example.com"),
                                  "email_verified": True})
    by_provider = sign_in_with_provider(gateway, stack.settings, "mock", providers.mock.authorize, sub)
    profile = me(gateway, by_provider)
    assert profile["username"] == username and profile["email"] == email
    assert [linked["provider"] for linked in me(gateway, by_mail)["providers"]] == ["mock"]


def test_an_unverified_address_equal_to_an_account_gets_a_new_account(stack, gateway, mailbox, providers) -> None:
    email = new_email("victim")
    owner = sign_in(gateway, mailbox, email)
    sub = new_subject("claimer")
    providers.mock.set_user(sub, {"email": email, "email_verified": False})
    stranger = sign_in_with_provider(gateway, stack.settings, "mock", providers.mock.authorize, sub)
    assert me(gateway, stranger)["username"] != me(gateway, owner)["username"]
    assert "email" not in me(gateway, stranger)
    assert "providers" not in me(gateway, owner)


def test_a_verified_address_no_account_has_becomes_the_new_accounts(stack, gateway, mailbox, providers) -> None:
    email, sub = new_email("fresh"), new_subject("fresh")
    providers.mock.set_user(sub, {"email": email, "email_verified": True})
    session = sign_in_with_provider(gateway, stack.settings, "mock", providers.mock.authorize, sub)
    profile = me(gateway, session)
    assert profile["email"] == email
    # The address now signs in by mail too, into the same account.
    assert me(gateway, sign_in(gateway, mailbox, email))["username"] == profile["username"]


def test_unlinking_needs_another_way_to_sign_in(stack, gateway, mailbox, providers) -> None:
    sub = new_subject("only")
    providers.mock.set_user(sub, {"email_verified": False})
    only = sign_in_with_provider(gateway, stack.settings, "mock", providers.mock.authorize, sub)
    assert_error(gateway.delete("/me/providers/mock", headers=only.headers), 409, "No other way to sign in")
    assert_error(gateway.delete("/me/providers/relayed", headers=only.headers), 404, "Provider not linked")
    assert [linked["provider"] for linked in me(gateway, only)["providers"]] == ["mock"]

    email = new_email("unlink")
    by_mail = sign_in(gateway, mailbox, email)
    sub = new_subject("unlink")
    providers.mock.set_user(sub, {"email": email, "email_verified": True})
    sign_in_with_provider(gateway, stack.settings, "mock", providers.mock.authorize, sub)
    unlinked = gateway.delete("/me/providers/mock", headers=by_mail.headers)
    assert unlinked.status_code == 204, describe(unlinked)
    assert "providers" not in me(gateway, by_mail)
    assert identity_rows(stack.settings, providers.mock.url, sub) == []
    assert gateway.delete("/me/providers/mock", headers=by_mail.headers).status_code == 404


def test_the_export_has_the_identities_and_deleting_the_account_removes_them(stack, gateway, providers) -> None:
    sub = new_subject("leaving")
    providers.mock.set_user(sub, {"email_verified": False})
    session = sign_in_with_provider(gateway, stack.settings, "mock", providers.mock.authorize, sub)
    username = me(gateway, session)["username"]
    export = gateway.get("/me/export", headers=session.headers)
    assert export.status_code == 200, describe(export)
    [exported] = export.json()["sign_in_providers"]
    assert (exported["provider"], exported["issuer"], exported["subject"]) == ("mock", providers.mock.url, sub)
    # No password and no address: the fresh sign-in with the provider confirms the deletion.
    deleted = gateway.delete("/me/account", headers=session.headers)
    assert deleted.status_code == 204, describe(deleted)
    assert identity_rows(stack.settings, providers.mock.url, sub) == []
    assert gateway.get("/me", headers=session.headers).status_code == 401
    again = sign_in_with_provider(gateway, stack.settings, "mock", providers.mock.authorize, sub)
    assert me(gateway, again)["username"] != username  # a new account


def test_a_rotated_signing_key_is_fetched_and_a_provider_that_is_down_is_refused(stack, gateway, providers) -> None:
    rotating = providers.rotating
    sub = new_subject("rotation")
    rotating.set_user(sub, {"email_verified": False})
    before = sign_in_with_provider(gateway, stack.settings, "rotating", rotating.authorize, sub)
    old_keys = rotating.signing_key_ids()

    # Down between the start and the callback: the person comes back to a clear error, nothing is made.
    ip = client_address()
    callback = rotating.authorize(start_provider_sign_in(gateway, "rotating", ip), new_subject("down"))
    rotating.stop()
    users_before = user_count(stack.settings)
    refused_callback(stack, gateway, callback, ip, "provider_unavailable")
    assert user_count(stack.settings) == users_before

    rotating.start()  # back, with a key the login service has not seen
    assert set(rotating.signing_key_ids()).isdisjoint(old_keys)
    rotating.set_user(sub, {"email_verified": False})
    after = sign_in_with_provider(gateway, stack.settings, "rotating", rotating.authorize, sub)
    assert me(gateway, after)["username"] == me(gateway, before)["username"]


# --- refusals ------------------------------------------------------------------------------------


def test_an_unknown_provider_is_refused(stack, gateway) -> None:
    assert_error(gateway.get("/auth/oauth/nope"), 404, "Unknown provider")
    refused_callback(stack, gateway, f"{stack.url}/auth/oauth/nope/callback?state=x&code=y", client_address(),
                     "unknown_provider")


def test_a_provider_that_cannot_be_reached_is_a_503_at_the_start(gateway) -> None:
    answer = gateway.get("/auth/oauth/offline", headers={"X-Forwarded-For": client_address()})
    assert_error(answer, 503, "Provider unavailable")
    assert answer.headers["retry-after"]


def test_a_wrong_state_is_refused(stack, gateway, providers) -> None:
    ip = client_address()
    callback = providers.mock.authorize(start_provider_sign_in(gateway, "mock", ip), new_subject("wrong"))
    parts = urlsplit(callback)
    query = dict(parse_qsl(parts.query))
    forged = parts._replace(query=f"code={query['code']}&state=not-the-state").geturl()
    refused_callback(stack, gateway, forged, ip, "invalid_state")
    refused_callback(stack, gateway, parts._replace(query=f"code={query['code']}").geturl(), ip, "invalid_state")
    # A state made for one provider does not serve another's callback (and is spent by trying).
    other = forged.replace("/auth/oauth/mock/", "/auth/oauth/rotating/").replace("not-the-state", query["state"])
    refused_callback(stack, gateway, other, ip, "invalid_state")
    refused_callback(stack, gateway, callback, ip, "invalid_state")


def test_a_replayed_state_is_refused_and_the_one_time_code_works_once(stack, gateway, providers) -> None:
    ip = client_address()
    callback = providers.mock.authorize(start_provider_sign_in(gateway, "mock", ip), new_subject("replay"))
    first = return_from_provider(gateway, stack.settings, callback, ip)
    assert first.action == "oauth-login", first
    refused_callback(stack, gateway, callback, ip, "invalid_state")
    assert exchange_provider_code(gateway, first.params["code"], ip).status_code == 200
    assert_error(exchange_provider_code(gateway, first.params["code"], ip), 404, "Not found")


def test_a_bad_nonce_is_refused(stack, gateway, providers) -> None:
    """A code obtained for one sign-in, brought back with the state of another (code injection): the
    provider redeems it, but its ID token carries the first sign-in's nonce."""
    ip, sub = client_address(), new_subject("nonce")
    first = providers.mock.authorize(start_provider_sign_in(gateway, "mock", ip), sub)
    second = providers.mock.authorize(start_provider_sign_in(gateway, "mock", ip), sub)
    code_of_first = dict(parse_qsl(urlsplit(first).query))["code"]
    state_of_second = dict(parse_qsl(urlsplit(second).query))["state"]
    injected = urlsplit(second)._replace(query=f"code={code_of_first}&state={state_of_second}").geturl()
    messages = refused_callback(stack, gateway, injected, ip, "invalid_token")
    assert any("'nonce'" in message for message in messages), messages
    assert identity_rows(stack.settings, providers.mock.url, sub) == []


def test_an_id_token_for_another_audience_is_refused(stack, gateway, providers) -> None:
    relay, ip, sub = providers.relay, client_address(), new_subject("audience")
    relay.client_id = "another-app"
    try:
        url = start_provider_sign_in(gateway, "relayed", ip)
        callback = providers.mock.authorize(url, sub, client_id="another-app")
        messages = refused_callback(stack, gateway, callback, ip, "invalid_token")
    finally:
        relay.client_id = None
    assert claims_of(relay.id_tokens[-1])["aud"] in ("another-app", ["another-app"])  # genuine, for someone else
    assert any("'aud'" in message or "'azp'" in message for message in messages), messages
    assert identity_rows(stack.settings, relay.url, sub) == []


def test_an_expired_id_token_is_refused(stack, gateway, providers) -> None:
    ip, sub = client_address(), new_subject("expired")
    callback = providers.expired.authorize(start_provider_sign_in(gateway, "expired", ip), sub)
    messages = refused_callback(stack, gateway, callback, ip, "invalid_token")
    assert any("expired_token" in message for message in messages), messages
    assert identity_rows(stack.settings, providers.expired.url, sub) == []


def test_a_tampered_id_token_is_refused(stack, gateway, mailbox, providers) -> None:
    relay, ip, sub = providers.relay, client_address(), new_subject("tampered")
    relay.tamper = True
    try:
        callback = providers.mock.authorize(start_provider_sign_in(gateway, "relayed", ip), sub)
        messages = refused_callback(stack, gateway, callback, ip, "invalid_token")
    finally:
        relay.tamper = False
    assert any("bad_signature" in message for message in messages), messages
    assert identity_rows(stack.settings, relay.url, sub) == []
    # Untouched, the same relay signs in.
    sign_in_with_provider(gateway, stack.settings, "relayed", providers.mock.authorize, sub)


def test_declining_at_the_provider_is_reported(stack, gateway, providers) -> None:
    ip = client_address()
    url = start_provider_sign_in(gateway, "mock", ip)
    callback = ProviderProcess.authorize(url, "", deny=True)
    assert "error=access_denied" in callback
    # The mock leaves `state` out of its error redirect; without it the answer cannot be trusted to
    # belong to this sign-in. RFC 6749, section 4.1.2.1, has providers send it back, as here:
    state = dict(parse_qsl(urlsplit(url).query))["state"]
    refused_callback(stack, gateway, callback, ip, "invalid_state")
    refused_callback(stack, gateway, f"{callback}&state={state}", ip, "access_denied")


def test_the_exchange_refuses_what_is_not_a_fresh_code(gateway, stack, providers) -> None:
    ip = client_address()
    assert_error(exchange_provider_code(gateway, "not-a-code", ip), 404, "Not found")
    bad = gateway.post("/auth/oauth/exchange", json={}, headers={"X-Forwarded-For": ip})
    assert_error(bad, 422)
    session = sign_in_with_provider(gateway, stack.settings, "mock", providers.mock.authorize, new_subject("twice"))
    callback = providers.mock.authorize(start_provider_sign_in(gateway, "mock", ip), new_subject("signed-in"))
    code = return_from_provider(gateway, stack.settings, callback, ip).params["code"]
    signed_in = gateway.post("/auth/oauth/exchange", json={"code": code},
                             headers={**session.headers, "X-Forwarded-For": ip})
    assert_error(signed_in, 403, "Already signed-in")


def test_failures_are_limited_per_client_and_never_lock_out_others(stack, gateway, providers) -> None:
    attacker = client_address()
    for attempt in range(FAILURE_LIMIT):
        guessed = exchange_provider_code(gateway, f"guess-{attempt}", attacker)
        assert_error(guessed, 404, "Not found")
    assert_error(exchange_provider_code(gateway, "guess-more", attacker), 429, "Too many requests")
    refused_callback(stack, gateway, f"{stack.url}/auth/oauth/mock/callback?state=x&code=y", attacker,
                     "too_many_requests")
    # Everyone else, the person whose sign-in is under way included, signs in as usual.
    victim = new_subject("victim")
    sign_in_with_provider(gateway, stack.settings, "mock", providers.mock.authorize, victim)
    sign_in_with_provider(gateway, stack.settings, "mock", providers.mock.authorize, victim)
