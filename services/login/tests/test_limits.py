"""Abuse limits of the login endpoints: 429 with Retry-After, keyed on the right client address."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

import httpx

from .conftest import Mailbox, from_ip, link_in, new_email, new_ip


def assert_429(response: httpx.Response) -> None:
    assert response.status_code == 429
    assert response.json() == {"error": {"code": 429, "message": "Too many requests"}}
    assert 1 <= int(response.headers["Retry-After"]) <= 60


async def test_email_requests_are_limited_per_client_ip(login_app_with: Callable[..., Any]) -> None:
    async with login_app_with(login_limit_per_ip=2, login_limit_per_address=0) as client:
        ip = new_ip()
        for _ in range(2):
            ok = await client.post("/auth/email", params={"email": new_email()}, headers=from_ip(ip))
            assert ok.status_code == 204
        assert_429(await client.post("/auth/email", params={"email": new_email()}, headers=from_ip(ip)))
        # Another client is not affected.
        assert (await client.post("/auth/email", params={"email": new_email()}, headers=from_ip())).status_code == 204


async def test_email_requests_are_limited_per_address(login_app_with: Callable[..., Any]) -> None:
    async with login_app_with(login_limit_per_ip=0, login_limit_per_address=1) as client:
        address = new_email("target")
        assert (await client.post("/auth/email", params={"email": address}, headers=from_ip())).status_code == 204
        # A different IP and a different spelling of the same address still count against it.
        assert_429(await client.post("/auth/email", params={"email": address.upper()}, headers=from_ip()))
        assert (await client.post("/auth/email", params={"email": new_email()}, headers=from_ip())).status_code == 204


async def test_forwarded_for_from_an_untrusted_peer_does_not_dodge_the_limit(
        login_app_with: Callable[..., Any]) -> None:
    async with login_app_with(client=("203.0.113.50", 40000), login_limit_per_ip=1,
                              login_limit_per_address=0) as client:
        assert (await client.post("/auth/email", params={"email": new_email()},
                                  headers=from_ip())).status_code == 204
        assert_429(await client.post("/auth/email", params={"email": new_email()}, headers=from_ip()))


async def test_zero_turns_the_mail_limits_off(login_app_with: Callable[..., Any]) -> None:
    async with login_app_with(login_limit_per_ip=0, login_limit_per_address=0) as client:
        ip, address = new_ip(), new_email()
        for _ in range(12):
            assert (await client.post("/auth/email", params={"email": address},
                                      headers=from_ip(ip))).status_code == 204


async def test_registration_counts_as_a_mail_request(login_app_with: Callable[..., Any]) -> None:
    async with login_app_with(login_limit_per_ip=1, login_limit_per_address=0) as client:
        ip = new_ip()
        body = {"username": "Limited1", "email": new_email(), "password": "long enough pw"}
        assert (await client.post("/auth/register", json=body, headers=from_ip(ip))).status_code == 201
        body = {"username": "Limited2", "email": new_email(), "password": "long enough pw"}
        assert_429(await client.post("/auth/register", json=body, headers=from_ip(ip)))


async def test_failed_exchange_confirm_and_password_attempts_are_limited_per_ip(
        login_app_with: Callable[..., Any]) -> None:
    async with login_app_with(login_attempts_per_ip=3) as client:
        ip = new_ip()
        for path in ("/auth/email/exchange", "/auth/confirm", "/auth/email/exchange"):
            response = await client.post(path, params={"user": "Someone", "token": "guess"}, headers=from_ip(ip))
            assert response.status_code == 404
        assert_429(await client.post("/auth/confirm", params={"user": "Someone", "token": "guess"},
                                     headers=from_ip(ip)))
        assert_429(await client.post("/auth/password", json={"username": "Someone", "password": "guess"},
                                     headers=from_ip(ip)))
        # Another client is not affected.
        assert (await client.post("/auth/confirm", params={"user": "Someone", "token": "guess"},
                                  headers=from_ip())).status_code == 404


async def test_successful_sign_ins_never_count_so_people_behind_one_address_all_get_in(
        login_app_with: Callable[..., Any], test_settings: Any) -> None:
    """A school or library: many people, one public address, all signing in within a minute."""
    async with login_app_with(login_attempts_per_ip=3) as client:
        school = new_ip()
        mailbox = Mailbox(test_settings, client.app)
        for pupil in range(8):
            address = new_email(f"pupil{pupil}")
            assert (await client.post("/auth/email", params={"email": address},
                                      headers=from_ip(school))).status_code == 204
            link = link_in(await mailbox.last(address))
            signed_in = await client.post("/auth/email/exchange", params={"user": link.user, "token": link.token},
                                          headers=from_ip(school))
            assert signed_in.status_code == 200, pupil
        # Failures still count for that address.
        for _ in range(3):
            assert (await client.post("/auth/email/exchange", params={"user": "Someone", "token": "guess"},
                                      headers=from_ip(school))).status_code == 404
        assert_429(await client.post("/auth/email/exchange", params={"user": "Someone", "token": "guess"},
                                     headers=from_ip(school)))


async def registered_account(client: Any, test_settings: Any, password: str) -> str:
    address = new_email("guessed")
    body = {"username": f"Guessed{address[8:14]}", "email": address, "password": password}
    assert (await client.post("/auth/register", json=body, headers=from_ip())).status_code == 201
    link = link_in(await Mailbox(test_settings, client.app).last(address))
    assert (await client.post("/auth/confirm", params={"user": link.user, "token": link.token},
                              headers=from_ip())).status_code == 200
    return address


async def test_password_guessing_stops_the_guesser_on_that_account_not_the_owner(
        login_app_with: Callable[..., Any], test_settings: Any) -> None:
    async with login_app_with(login_password_failures=3, login_attempts_per_ip=0) as client:
        address = await registered_account(client, test_settings, "the real password")
        guesser = new_ip()
        for _ in range(3):
            wrong = await client.post("/auth/password", json={"email": address, "password": "guess"},
                                      headers=from_ip(guesser))
            assert wrong.status_code == 400
        blocked = await client.post("/auth/password", json={"email": address, "password": "the real password"},
                                    headers=from_ip(guesser))
        assert blocked.status_code == 429
        assert 1 <= int(blocked.headers["Retry-After"]) <= 15 * 60
        # The owner, on their own network, signs in with the password as ever.
        owner = await client.post("/auth/password", json={"email": address, "password": "the real password"},
                                  headers=from_ip())
        assert owner.status_code == 200 and owner.headers["Authorization"].startswith("bearer ")
        # Unknown accounts behave the same, so the 429 tells nothing about existence.
        for _ in range(3):
            assert (await client.post("/auth/password", json={"email": "ghost@example.com", "password": "g"},
                                      headers=from_ip(guesser))).status_code == 400
        assert (await client.post("/auth/password", json={"email": "ghost@example.com", "password": "g"},
                                  headers=from_ip(guesser))).status_code == 429
        # E-mail login still works, for the guesser's own address too.
        assert (await client.post("/auth/email", params={"email": address},
                                  headers=from_ip(guesser))).status_code == 204


async def test_guesses_spread_over_many_addresses_do_not_lock_the_owner_out(
        login_app_with: Callable[..., Any], test_settings: Any) -> None:
    async with login_app_with(login_password_failures=3, login_attempts_per_ip=0) as client:
        address = await registered_account(client, test_settings, "the real password")
        home = new_ip()
        for _ in range(20):  # a botnet: every guess from another address
            assert (await client.post("/auth/password", json={"email": address, "password": "guess"},
                                      headers=from_ip())).status_code == 400
        owner = await client.post("/auth/password", json={"email": address, "password": "the real password"},
                                  headers=from_ip(home))
        assert owner.status_code == 200
        # The owner's own typos are forgiven by a success.
        for _ in range(2):
            assert (await client.post("/auth/password", json={"email": address, "password": "typo"},
                                      headers=from_ip(home))).status_code == 400
        assert (await client.post("/auth/password", json={"email": address, "password": "the real password"},
                                  headers=from_ip(home))).status_code == 200
        for _ in range(2):
            assert (await client.post("/auth/password", json={"email": address, "password": "typo"},
                                      headers=from_ip(home))).status_code == 400
        assert (await client.post("/auth/password", json={"email": address, "password": "the real password"},
                                  headers=from_ip(home))).status_code == 200


async def test_parallel_guesses_cannot_slip_past_the_limit(login_app_with: Callable[..., Any],
                                                           test_settings: Any) -> None:
    """Each attempt is counted before its password is checked, so a burst gets no more tries than a sequence."""
    async with login_app_with(login_password_failures=3, login_attempts_per_ip=0) as client:
        address = await registered_account(client, test_settings, "the real password")
        guesser = new_ip()
        answers = await asyncio.gather(*(
            client.post("/auth/password", json={"email": address, "password": f"guess {n}"},
                        headers=from_ip(guesser)) for n in range(12)))
        statuses = sorted(answer.status_code for answer in answers)
        assert statuses == [400] * 3 + [429] * 9
