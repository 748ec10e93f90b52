"""Mail: the outbox in the real Redis, the drivers, retries, expiry and crash recovery."""

from __future__ import annotations

import asyncio
import contextlib
import email
import logging
import secrets
import time
from collections.abc import AsyncIterator
from email.policy import default as default_policy
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs

import pytest
import pytest_asyncio

from muistot.mail import MailMessage, enqueue
from muistot.mail.delivery import Courier, backoff
from muistot.mail.drivers import FileMailer, LogMailer, MailConfigError, SmtpMailer, mailer_from_url
from muistot.mail.outbox import OUTBOX, RETRY, WORKERS, OutboxCipher, alive_key, outbox_cipher, processing_key
from muistot.mail.templates import login_mail, register_mail
from muistot.redis import RedisClients
from muistot.settings import Settings
from muistot_tooling.testing.smtp_sink import SmtpSink

SENDER = "Muistotkartalla <do-not-reply@muistotkartalla.fi>"


@pytest_asyncio.fixture
async def redis(test_settings: Settings) -> AsyncIterator[RedisClients]:
    """A Redis namespace of its own, so these tests never touch the services' outbox."""
    prefix = f"{test_settings.redis_prefix}mail{secrets.token_hex(3)}:"
    settings = test_settings.model_copy(update={"redis_prefix": prefix})
    clients = RedisClients.from_settings(settings)
    try:
        yield clients
    finally:
        await clients.close()


@pytest.fixture
def cipher(test_settings: Settings) -> OutboxCipher:
    return outbox_cipher(test_settings.identity_secret)


def message(to: str = "alice@example.com", **overrides: object) -> MailMessage:
    values: dict[str, object] = {"to": to, "subject": "Hello", "text": "plain body\n", "html": "<p>html body</p>",
                                 "kind": "test"}
    values.update(overrides)
    return MailMessage(**values)  # type: ignore[arg-type]


def read_eml(directory: Path) -> list[email.message.EmailMessage]:
    return [email.message_from_bytes(path.read_bytes(), policy=default_policy)  # type: ignore[misc]
            for path in sorted(directory.glob("*.eml"))]


async def test_file_driver_writes_one_multipart_eml_per_message(redis: RedisClients, cipher: OutboxCipher,
                                                                 test_settings: Settings, tmp_path: Path) -> None:
    courier = Courier(redis, FileMailer(tmp_path), SENDER, max_age=3600, cipher=cipher)
    await enqueue(redis, message("alice@example.com"), test_settings)
    await enqueue(redis, message("bob@example.com"), test_settings)
    report = await courier.run_once()
    assert report.sent == 2
    mails = read_eml(tmp_path)
    assert sorted(m["To"] for m in mails) == ["alice@example.com", "bob@example.com"]
    mail = mails[0]
    assert mail["From"] == SENDER
    assert mail.get_content_type() == "multipart/alternative"
    assert mail.get_body(("plain",)).get_content() == "plain body\n"
    assert mail.get_body(("html",)).get_content().strip() == "<p>html body</p>"
    assert await redis.cache.llen(redis.key(OUTBOX)) == 0
    assert await redis.cache.llen(redis.key(processing_key(courier.worker_id))) == 0


async def test_smtp_driver_delivers_to_a_plain_sink(redis: RedisClients, cipher: OutboxCipher,
                                                    test_settings: Settings) -> None:
    sink = SmtpSink().start()
    try:
        courier = Courier(redis, mailer_from_url(sink.url), SENDER, max_age=3600, cipher=cipher)
        await enqueue(redis, message("carol@example.com", subject="Päivää"), test_settings)
        assert (await courier.run_once()).sent == 1
    finally:
        sink.stop()
    [mail] = sink.to("carol@example.com")
    assert mail["Subject"] == "Päivää"
    assert sink.envelopes[0][1] == ["carol@example.com"]


async def test_failed_delivery_is_logged_retried_with_backoff_and_delivered_when_the_server_is_up(
        redis: RedisClients, cipher: OutboxCipher, test_settings: Settings, caplog: pytest.LogCaptureFixture) -> None:
    sink = SmtpSink()  # not started yet: connections are refused
    courier = Courier(redis, mailer_from_url(sink.url + "?timeout=2"), SENDER, max_age=3600, cipher=cipher)
    await enqueue(redis, message("dave@example.com"), test_settings)
    with caplog.at_level(logging.WARNING, logger="muistot.mail.delivery"):
        report = await courier.run_once()
    assert report.failed == 1
    assert any("attempt 1" in r.getMessage() and "retrying" in r.getMessage() for r in caplog.records)
    [(raw, due)] = await redis.cache.zrange(redis.key(RETRY), 0, -1, withscores=True)
    assert cipher.open(raw).attempts == 1
    assert b"dave@example.com" not in raw and b"plain body" not in raw  # the retry is encrypted too
    assert due > time.time()
    # Not due yet: nothing happens.
    assert (await courier.run_once()).failed == 0
    # The second failure waits twice as long.
    await courier.run_once(now=due + 0.1)
    [(_, due2)] = await redis.cache.zrange(redis.key(RETRY), 0, -1, withscores=True)
    assert due2 - (due + 0.1) == pytest.approx(backoff(2))
    sink.start()
    try:
        report = await courier.run_once(now=due2 + 0.1)
    finally:
        sink.stop()
    assert report.sent == 1
    assert len(sink.to("dave@example.com")) == 1
    assert await redis.cache.zcard(redis.key(RETRY)) == 0


async def test_expired_mail_is_dropped_with_a_log_line(redis: RedisClients, cipher: OutboxCipher,
                                                       test_settings: Settings, tmp_path: Path,
                                                       caplog: pytest.LogCaptureFixture) -> None:
    courier = Courier(redis, FileMailer(tmp_path), SENDER, max_age=3600, cipher=cipher)
    await enqueue(redis, message("erin@example.com", expires_at=time.time() - 1), test_settings)
    with caplog.at_level(logging.ERROR, logger="muistot.mail.delivery"):
        report = await courier.run_once()
    assert report.dropped == 1
    assert read_eml(tmp_path) == []
    assert any("dropping" in r.getMessage() and "expired" in r.getMessage() for r in caplog.records)


async def test_undeliverable_mail_is_retried_until_it_expires_then_dropped(redis: RedisClients, cipher: OutboxCipher,
                                                                           test_settings: Settings) -> None:
    courier = Courier(redis, mailer_from_url(SmtpSink().url + "?timeout=2"), SENDER, max_age=3600, cipher=cipher)
    await enqueue(redis, message("frank@example.com", expires_at=time.time() + 60), test_settings)
    now = time.time()
    dropped = 0
    for _ in range(10):
        report = await courier.run_once(now=now)
        dropped += report.dropped
        now += backoff(10)
    assert dropped == 1
    assert await redis.cache.zcard(redis.key(RETRY)) == 0
    assert await redis.cache.llen(redis.key(OUTBOX)) == 0


async def test_mail_held_by_a_crashed_worker_is_delivered_by_another(redis: RedisClients, cipher: OutboxCipher,
                                                                     tmp_path: Path) -> None:
    # A worker took the message off the outbox and died before sending it (no heartbeat any more).
    dead = "dead-worker"
    await redis.cache.lpush(redis.key(processing_key(dead)), cipher.seal(message("gina@example.com")))
    await redis.cache.sadd(redis.key(WORKERS), dead)
    courier = Courier(redis, FileMailer(tmp_path), SENDER, max_age=3600, cipher=cipher)
    report = await courier.run_once()
    assert report.reclaimed == 1
    assert report.sent == 1
    assert [m["To"] for m in read_eml(tmp_path)] == ["gina@example.com"]
    assert not await redis.cache.sismember(redis.key(WORKERS), dead)


async def test_a_live_workers_mail_is_left_alone(redis: RedisClients, cipher: OutboxCipher, tmp_path: Path) -> None:
    busy = Courier(redis, FileMailer(tmp_path), SENDER, max_age=3600, cipher=cipher)
    await busy.heartbeat()
    await redis.cache.lpush(redis.key(processing_key(busy.worker_id)), cipher.seal(message("hank@example.com")))
    other = Courier(redis, FileMailer(tmp_path), SENDER, max_age=3600, cipher=cipher)
    assert (await other.run_once()).reclaimed == 0
    assert await redis.cache.llen(redis.key(processing_key(busy.worker_id))) == 1


async def test_log_driver_logs_recipient_and_subject_only(redis: RedisClients, cipher: OutboxCipher,
                                                          test_settings: Settings,
                                                          caplog: pytest.LogCaptureFixture) -> None:
    token = secrets.token_urlsafe(32)
    mail = login_mail(to="ivan@example.com", user="Ivan", token=token, verified=True, lang="en",
                      public_url="http://frontend", expires_at=time.time() + 600)
    await enqueue(redis, mail, test_settings)
    courier = Courier(redis, LogMailer(), SENDER, max_age=3600, cipher=cipher)
    with caplog.at_level(logging.DEBUG):
        assert (await courier.run_once()).sent == 1
    lines = [r.getMessage() for r in caplog.records]
    assert any("ivan@example.com" in line and "Muistotkartalla Login" in line for line in lines)
    assert not any(token in line or "email-login" in line for line in lines)


def test_login_mail_link_and_texts() -> None:
    mail = login_mail(to="a@example.com", user="Kettu #1 ä", token="abc-_", verified=False, lang="fi",
                      public_url="https://muistot.example/", expires_at=0)
    assert mail.subject == "Muistotkartalla Kirjautuminen"
    link = mail.text.split(": ", 1)[1].strip()
    assert link.startswith("https://muistot.example/#email-login:")
    assert "user=Kettu+%231+%C3%A4" in link
    params = parse_qs(link.split("#email-login:", 1)[1])
    assert params == {"user": ["Kettu #1 ä"], "token": ["abc-_"], "verified": ["false"]}
    assert "Hei Kettu #1 ä! Tässä kirjautumislinkkisi palveluun" in mail.html
    assert "Kirjaudu Sisään" in mail.html
    assert '<html lang="fi">' in mail.html


def test_mail_html_escapes_values() -> None:
    mail = login_mail(to="a@example.com", user="<script>x</script>", token="t", verified=True, lang="en",
                      public_url="http://f", expires_at=0)
    assert "<script>" not in mail.html
    assert "Hi &lt;script&gt;x&lt;/script&gt;! Here is your login link" in mail.html
    assert "&amp;token=t&amp;verified=true" in mail.html


def test_register_mail_carries_the_code_and_a_verify_link() -> None:
    mail = register_mail(to="a@example.com", user="Kettu", code="123456", lang="en", public_url="http://f",
                         expires_at=0)
    assert mail.subject == "Muistotkartalla Verification"
    assert "enter the code: 123456." in mail.html
    assert mail.text.strip() == "Verify link: http://f#verify-user:user=Kettu&token=123456&verified=false"


def test_mail_urls() -> None:
    plain = mailer_from_url("smtp://mailhost:2525")
    assert isinstance(plain, SmtpMailer)
    assert (plain.host, plain.port, plain.username, plain.start_tls) == ("mailhost", 2525, None, None)
    with_login = mailer_from_url("smtp://us%40er:p%3Ass@mailhost")
    assert isinstance(with_login, SmtpMailer)
    assert (with_login.username, with_login.password, with_login.port) == ("us@er", "p:ss", 25)
    assert with_login.start_tls is True  # credentials never travel in the clear by default
    explicit = mailer_from_url("smtp://u:p@mailhost?starttls=false")
    assert isinstance(explicit, SmtpMailer) and explicit.start_tls is False
    implicit = mailer_from_url("smtps://u:p@mailhost")
    assert isinstance(implicit, SmtpMailer) and (implicit.implicit_tls, implicit.port) == (True, 465)
    assert isinstance(mailer_from_url("file:///tmp/mail"), FileMailer)
    assert isinstance(mailer_from_url("log://"), LogMailer)
    with pytest.raises(MailConfigError):
        mailer_from_url("http://nope")
    with pytest.raises(MailConfigError):
        mailer_from_url("smtp://h?starttls=maybe")


def test_messages_queued_by_older_code_still_load() -> None:
    raw = '{"to": "a@example.com", "subject": "s", "text": "t", "html": "h", "kind": "notice", ' \
          '"expires_at": 0.0, "id": "x", "attempts": 0}'
    loaded = MailMessage.from_json(raw)
    assert loaded.to == "a@example.com" and loaded.created_at > 0


class StallingMailer:
    """A driver that takes each message (calls `accepted`) and then hangs, like a worker killed mid-QUIT."""

    name = "stalling"

    def __init__(self, *, accept: bool) -> None:
        self.accept = accept
        self.sent: list[str] = []
        self.hanging = asyncio.Event()

    async def send(self, message: email.message.EmailMessage, accepted: Any) -> None:
        if self.accept:
            self.sent.append(str(message["To"]))
            await accepted()
        self.hanging.set()
        await asyncio.Event().wait()  # forever: the task is cancelled, as the process would be killed


async def crash_mid_send(courier: Courier, mailer: StallingMailer) -> None:
    """Run the courier until its mailer hangs, then stop it dead: nothing after that point runs."""
    task = asyncio.create_task(courier.run_once())
    await asyncio.wait_for(mailer.hanging.wait(), timeout=30)
    task.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await task
    # A killed process renews nothing: its lease simply runs out.
    await courier.redis.cache.delete(courier.redis.key(alive_key(courier.worker_id)))


async def test_a_mail_the_server_took_is_not_sent_again_after_a_crash(redis: RedisClients, cipher: OutboxCipher,
                                                                       test_settings: Settings,
                                                                       tmp_path: Path) -> None:
    hung = StallingMailer(accept=True)
    await enqueue(redis, message("once@example.com"), test_settings)
    await crash_mid_send(Courier(redis, hung, SENDER, max_age=3600, cipher=cipher), hung)
    successor = Courier(redis, FileMailer(tmp_path), SENDER, max_age=3600, cipher=cipher)
    report = await successor.run_once()
    assert (report.reclaimed, report.already_sent, report.sent) == (1, 1, 0)
    assert hung.sent == ["once@example.com"] and read_eml(tmp_path) == []
    assert await redis.cache.llen(redis.key(OUTBOX)) == 0


async def test_a_mail_not_yet_taken_at_a_crash_is_sent_by_the_next_worker(redis: RedisClients,
                                                                           cipher: OutboxCipher,
                                                                           test_settings: Settings,
                                                                           tmp_path: Path) -> None:
    hung = StallingMailer(accept=False)
    await enqueue(redis, message("later@example.com"), test_settings)
    await crash_mid_send(Courier(redis, hung, SENDER, max_age=3600, cipher=cipher), hung)
    successor = Courier(redis, FileMailer(tmp_path), SENDER, max_age=3600, cipher=cipher)
    report = await successor.run_once()
    assert (report.reclaimed, report.already_sent, report.sent) == (1, 0, 1)
    assert [mail["To"] for mail in read_eml(tmp_path)] == ["later@example.com"]


class SlowMailer:
    name = "slow"

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self.sent: list[str] = []
        self.started = asyncio.Event()

    async def send(self, message: email.message.EmailMessage, accepted: Any) -> None:
        self.started.set()
        await asyncio.sleep(self.seconds)
        self.sent.append(str(message["To"]))
        await accepted()


async def test_a_live_worker_keeps_its_lease_through_a_send_longer_than_the_lease(
        redis: RedisClients, cipher: OutboxCipher, test_settings: Settings, tmp_path: Path) -> None:
    slow = SlowMailer(seconds=5)
    busy = Courier(redis, slow, SENDER, max_age=3600, cipher=cipher, lease=3)
    other = Courier(redis, FileMailer(tmp_path), SENDER, max_age=3600, cipher=cipher, lease=3)
    await enqueue(redis, message("slow@example.com"), test_settings)
    sending = asyncio.create_task(busy.run_once())
    await asyncio.wait_for(slow.started.wait(), timeout=30)
    reclaimed = 0
    for _ in range(120):  # bounded: the send takes 5 s
        if sending.done():
            break
        reclaimed += (await other.run_once()).reclaimed
        await asyncio.sleep(0.5)
    assert (await asyncio.wait_for(sending, timeout=60)).sent == 1
    assert reclaimed == 0 and read_eml(tmp_path) == [] and slow.sent == ["slow@example.com"]
    # The lease is short: a worker that stops renewing it lets go of its mail within a lease.
    assert 0 < await redis.cache.pttl(redis.key(alive_key(busy.worker_id))) <= 3000
