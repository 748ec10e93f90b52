"""The login flow through a real SMTP server, with the server down at first, and what reaches the logs."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import Any

import httpx
import pytest

from muistot.mail.delivery import Courier, backoff
from muistot.mail.drivers import mailer_from_url
from muistot.mail.outbox import RETRY, outbox_cipher
from muistot.settings import Settings
from muistot_tooling.testing.smtp_sink import SmtpSink

from .conftest import Mailbox, from_ip, link_in, new_email


def courier(login: httpx.AsyncClient, settings: Settings, url: str) -> Courier:
    return Courier(login.app.state.redis, mailer_from_url(url), settings.mail_sender,  # type: ignore[attr-defined]
                   max_age=settings.mail_max_age_seconds, cipher=outbox_cipher(settings.identity_secret))


async def test_full_flow_through_smtp(login: httpx.AsyncClient, mailbox: Mailbox, test_settings: Settings,
                                      service_client: Callable[[str], httpx.AsyncClient]) -> None:
    await mailbox.deliver()  # whatever other tests left in the outbox goes to the file mailbox
    sink = SmtpSink().start()
    try:
        address = new_email("smtp")
        assert (await login.post("/auth/email", params={"email": address},
                                 headers=from_ip(**{"Muistot-Language": "fi"}))).status_code == 204
        assert (await courier(login, test_settings, sink.url).run_once()).sent >= 1
    finally:
        sink.stop()
    [mail] = sink.to(address)
    assert mail["From"] == test_settings.mail_sender
    assert mail["Subject"] == "Muistotkartalla Kirjautuminen"
    assert mail.get_body(("html",)) is not None
    link = link_in(mail)
    response = await login.post("/auth/email/exchange", params={"user": link.user, "token": link.token},
                                headers=from_ip())
    assert response.status_code == 200
    token = response.headers["Authorization"].removeprefix("bearer ")
    me = await service_client("users").get("/me", headers={"Authorization": f"Bearer {token}"})
    assert me.json()["email"] == address


async def test_mail_server_down_still_answers_204_and_the_link_arrives_later(
        login: httpx.AsyncClient, mailbox: Mailbox, test_settings: Settings,
        caplog: pytest.LogCaptureFixture) -> None:
    await mailbox.deliver()
    sink = SmtpSink()  # the mail server is down: nothing listens on its port yet
    worker = courier(login, test_settings, sink.url + "?timeout=2")
    address = new_email("later")
    assert (await login.post("/auth/email", params={"email": address}, headers=from_ip())).status_code == 204
    with caplog.at_level(logging.WARNING, logger="muistot.mail.delivery"):
        report = await worker.run_once()
    assert report.failed == 1
    assert any("attempt 1" in record.getMessage() for record in caplog.records)
    redis = login.app.state.redis  # type: ignore[attr-defined]
    assert await redis.cache.zcard(redis.key(RETRY)) == 1

    sink.start()
    try:
        report = await worker.run_once(now=time.time() + backoff(1) + 1)
    finally:
        sink.stop()
    assert report.sent == 1
    link = link_in(sink.to(address)[0])
    response = await login.post("/auth/email/exchange", params={"user": link.user, "token": link.token},
                                headers=from_ip())
    assert response.status_code == 200


async def test_no_token_ever_reaches_the_logs(login: httpx.AsyncClient, mailbox: Mailbox,
                                              service_client: Callable[[str], httpx.AsyncClient],
                                              make_user: Callable[..., Any],
                                              caplog: pytest.LogCaptureFixture) -> None:
    secrets_seen: list[str] = []
    with caplog.at_level(logging.DEBUG):
        # A new address (account created at exchange) and a known one, with a failed attempt on the way.
        known = await make_user()
        for address in (new_email("logs"), known.email):
            await login.post("/auth/email", params={"email": address}, headers=from_ip())
            link = link_in(await mailbox.last(address))
            await login.post("/auth/email/exchange", params={"user": link.user, "token": link.token + "x"},
                             headers=from_ip())
            response = await login.post("/auth/email/exchange", params={"user": link.user, "token": link.token},
                                        headers=from_ip())
            session = response.headers["Authorization"].removeprefix("bearer ")
            bearer = {"Authorization": f"Bearer {session}"}
            await login.get("/auth/status", headers=bearer)
            await login.get("/_internal/verify", headers=bearer)
            await service_client("users").get("/me", headers=bearer)
            secrets_seen += [link.token, session]
        # Registration code, confirmation and password login.
        name, address = f"Logged{known.id}", new_email("logs")
        await login.post("/auth/register", json={"username": name, "email": address, "password": "secret pass 1"},
                         headers=from_ip())
        code = link_in(await mailbox.last(address))
        confirmed = await login.post("/auth/confirm", params={"user": name, "token": code.token}, headers=from_ip())
        await login.post("/auth/password", json={"username": name, "password": "secret pass 1"}, headers=from_ip())
        secrets_seen += [confirmed.headers["Authorization"].removeprefix("bearer "), "secret pass 1"]
    assert all(secrets_seen)
    # The test's own HTTP client (httpx) logs the URLs it calls; the services never see those lines.
    records = [record for record in caplog.records if not record.name.startswith(("httpx", "httpcore"))]
    assert any(record.name.startswith("muistot") for record in records)
    for record in records:
        text = f"{record.getMessage()} {getattr(record, 'fields', '')} {record.exc_text or ''}"
        for secret in secrets_seen:
            assert secret not in text, f"a secret reached the log through {record.name}"
