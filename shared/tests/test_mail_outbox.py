"""The mail outbox is encrypted at rest: nothing a reader of Redis sees gives away a link, code or address."""

from __future__ import annotations

import email
import logging
import secrets
import time
from collections.abc import AsyncIterator, Callable
from email.message import EmailMessage
from email.policy import default as default_policy
from pathlib import Path
from urllib.parse import parse_qs

import httpx
import pytest
import pytest_asyncio

from muistot import jobs
from muistot.mail import MailMessage, enqueue
from muistot.mail.delivery import Courier
from muistot.mail.drivers import FileMailer, mailer_from_url
from muistot.mail.outbox import OUTBOX, RETRY, OutboxCipher, UnreadableMail, outbox_cipher, processing_key
from muistot.mail.templates import login_mail
from muistot.redis import RedisClients
from muistot.settings import Settings
from muistot.worker import WorkerContext
from muistot_tooling.testing.smtp_sink import SmtpSink

SENDER = "Muistotkartalla <do-not-reply@muistotkartalla.fi>"


@pytest_asyncio.fixture
async def redis(test_settings: Settings) -> AsyncIterator[RedisClients]:
    """A Redis namespace of its own, so these tests never touch the services' outbox."""
    prefix = f"{test_settings.redis_prefix}sealed{secrets.token_hex(3)}:"
    clients = RedisClients.from_settings(test_settings.model_copy(update={"redis_prefix": prefix}))
    try:
        yield clients
    finally:
        await clients.close()


def read_eml(directory: Path) -> list[EmailMessage]:
    return [email.message_from_bytes(path.read_bytes(), policy=default_policy)  # type: ignore[misc]
            for path in sorted(directory.glob("*.eml"))]


def link_mail(to: str, token: str) -> MailMessage:
    return login_mail(to=to, user="Kettu#0042", token=token, verified=True, lang="en",
                      public_url="https://muistot.example/", expires_at=time.time() + 600)


def courier(redis: RedisClients, settings: Settings, directory: Path) -> Courier:
    # A cipher of its own (not the cached one), as in a worker process: the same secret opens the entries.
    return Courier(redis, FileMailer(directory), SENDER, max_age=3600, cipher=OutboxCipher(settings.identity_secret))


async def test_queued_entries_hide_the_link_token_address_and_texts(redis: RedisClients,
                                                                    test_settings: Settings) -> None:
    token = secrets.token_urlsafe(48)
    message = link_mail("secret-reader@example.com", token)
    await enqueue(redis, message, test_settings)
    [entry] = await redis.cache.lrange(redis.key(OUTBOX), 0, -1)
    assert entry.startswith(f"v1.{message.id}.".encode())  # the id alone is readable, for the logs
    for clear in (token, "email-login", "secret-reader@example.com", "Kettu", "Login", "muistot.example"):
        assert clear.encode() not in entry, clear
    # Two entries of the same message never look alike (a nonce per entry).
    await enqueue(redis, message, test_settings)
    first, second = await redis.cache.lrange(redis.key(OUTBOX), 0, -1)
    assert first != second


async def test_the_worker_decrypts_and_delivers_the_same_mail(redis: RedisClients, test_settings: Settings,
                                                              tmp_path: Path) -> None:
    token = secrets.token_urlsafe(48)
    await enqueue(redis, link_mail("reader@example.com", token), test_settings)
    report = await courier(redis, test_settings, tmp_path).run_once()
    assert (report.sent, report.dropped) == (1, 0)
    [mail] = read_eml(tmp_path)
    assert mail["To"] == "reader@example.com"
    assert mail["Subject"] == "Muistotkartalla Login"
    assert mail["Content-Language"] == "en"
    text = mail.get_body(("plain",)).get_content()
    assert text.startswith("Login link: https://muistot.example/#email-login:")
    params = parse_qs(text.split("#email-login:", 1)[1].strip())
    assert params == {"user": ["Kettu#0042"], "token": [token], "verified": ["true"]}
    assert "Hi Kettu#0042! Here is your login link" in mail.get_body(("html",)).get_content()


async def test_an_entry_that_cannot_be_decrypted_is_dropped_by_id_and_the_next_one_delivered(
        redis: RedisClients, test_settings: Settings, tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    # Queued under a secret that has since been replaced.
    old = link_mail("before-rotation@example.com", "old-token-value")
    await redis.cache.lpush(redis.key(OUTBOX), OutboxCipher("a secret that was rotated away " * 2).seal(old))
    await enqueue(redis, link_mail("after-rotation@example.com", "new-token-value"), test_settings)
    worker = courier(redis, test_settings, tmp_path)
    with caplog.at_level(logging.INFO, logger="muistot.mail.delivery"):
        report = await worker.run_once()
    assert (report.sent, report.dropped, report.failed) == (1, 1, 0)
    assert [mail["To"] for mail in read_eml(tmp_path)] == ["after-rotation@example.com"]
    [line] = [r.getMessage() for r in caplog.records if r.levelno == logging.ERROR]
    assert old.id in line and "cannot be decrypted" in line
    assert "before-rotation" not in line and "old-token-value" not in line
    assert await redis.cache.llen(redis.key(OUTBOX)) == 0
    assert await redis.cache.llen(redis.key(processing_key(worker.worker_id))) == 0
    assert await redis.cache.zcard(redis.key(RETRY)) == 0  # dropped, not retried


async def test_tampered_and_foreign_entries_are_dropped(redis: RedisClients, test_settings: Settings,
                                                        tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    cipher = outbox_cipher(test_settings.identity_secret)
    victim = link_mail("victim@example.com", "t")
    sealed = bytearray(cipher.seal(victim))
    sealed[-5] = ord("A") if sealed[-5] != ord("A") else ord("B")  # one changed character of the ciphertext
    relabelled = cipher.seal(victim).replace(victim.id.encode(), b"f" * 32, 1)  # the id is authenticated too
    for entry in (bytes(sealed), relabelled, victim.to_json().encode(), b"v1.x.!!!"):
        await redis.cache.lpush(redis.key(OUTBOX), entry)
        with pytest.raises(UnreadableMail):
            cipher.open(entry)
    with caplog.at_level(logging.ERROR, logger="muistot.mail.delivery"):
        report = await courier(redis, test_settings, tmp_path).run_once()
    assert (report.sent, report.dropped) == (0, 4)
    assert read_eml(tmp_path) == []
    lines = [r.getMessage() for r in caplog.records]
    assert sum("unreadable entry" in line for line in lines) == 1  # the plain JSON names no id to log
    assert all("victim@example.com" not in line for line in lines)


async def test_a_failed_message_waits_for_its_retry_encrypted(redis: RedisClients, test_settings: Settings) -> None:
    token = secrets.token_urlsafe(48)
    await enqueue(redis, link_mail("retry@example.com", token), test_settings)
    [queued] = await redis.cache.lrange(redis.key(OUTBOX), 0, -1)
    refused = SmtpSink()  # never started: the server is down
    worker = Courier(redis, mailer_from_url(refused.url + "?timeout=2"), SENDER, max_age=3600,
                     cipher=outbox_cipher(test_settings.identity_secret))
    assert (await worker.run_once()).failed == 1
    [waiting] = await redis.cache.zrange(redis.key(RETRY), 0, -1)
    assert waiting != queued  # sealed again, with the attempt counted and a fresh nonce
    assert token.encode() not in waiting and b"retry@example.com" not in waiting
    assert worker.cipher.open(waiting).attempts == 1


async def test_a_login_link_is_in_redis_only_encrypted_and_still_signs_in(
        service_client: Callable[[str], httpx.AsyncClient], test_settings: Settings) -> None:
    login = service_client("login")
    address = f"sealed-{secrets.token_hex(5)}@example.com"
    client_ip = f"198.18.{secrets.randbelow(256)}.{secrets.randbelow(254) + 1}"
    response = await login.post("/auth/email", params={"email": address}, headers={"X-Forwarded-For": client_ip})
    assert response.status_code == 204
    state = login.app.state  # type: ignore[attr-defined]
    stored = await state.redis.cache.lrange(state.redis.key(OUTBOX), 0, -1)
    assert stored

    await jobs.deliver_mail(WorkerContext(settings=test_settings, db=state.db, redis=state.redis,
                                          sessions=state.sessions))
    mailbox = Path(test_settings.mail_url.removeprefix("file://"))
    [mail] = [mail for mail in read_eml(mailbox) if mail["To"] == address]
    url = next(word for word in mail.get_body(("plain",)).get_content().split() if "#email-login:" in word)
    params = {key: values[0] for key, values in parse_qs(url.split("#email-login:", 1)[1]).items()}
    for entry in stored:
        assert params["token"].encode() not in entry and address.encode() not in entry
    exchanged = await login.post("/auth/email/exchange", params={"user": params["user"], "token": params["token"]},
                                 headers={"X-Forwarded-For": client_ip})
    assert exchanged.status_code == 200
