"""A worker killed (`kill -9`) with a mail in its hands: the mail is neither lost nor sent twice, and the
next worker picks it up once the dead one's short lease has lapsed.

Real `muistot worker` processes deliver to a real SMTP server that can hold its answer at one step of
the conversation, so the kill lands exactly where it matters: before the server has the message
(MAIL), or after it has taken it and the worker is waiting for the answer to QUIT.
"""

from __future__ import annotations

import asyncio
import os
import secrets
import signal
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from redis import Redis

from muistot.mail import MailMessage, enqueue
from muistot.mail.outbox import WORKERS, alive_key, processing_key
from muistot.redis import RedisClients
from muistot.settings import Settings
from muistot_tooling.runner import Stack
from muistot_tooling.testing.smtp_sink import SmtpSink

from .conftest import run_async

LEASE = 2.0


class HoldingSink(SmtpSink):
    """An SMTP server that holds its answer at one step (`MAIL` or `QUIT`) until released."""

    def __init__(self, step: str) -> None:
        super().__init__()
        self.step = step
        self.holding = threading.Event()
        self.released = threading.Event()

    async def _hold(self, step: str) -> None:
        if step == self.step and not self.released.is_set():
            self.holding.set()
            await asyncio.to_thread(self.released.wait)  # set from the test's thread

    async def handle_MAIL(self, server: Any, session: Any, envelope: Any, address: str,
                          mail_options: list[str]) -> str:
        await self._hold("MAIL")
        envelope.mail_from = address
        envelope.mail_options.extend(mail_options)
        return "250 OK"

    async def handle_QUIT(self, server: Any, session: Any, envelope: Any) -> str:
        await self._hold("QUIT")
        return "221 Bye"


def wait_until(condition: Any, what: str, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, f"gave up waiting: {what}"
        time.sleep(0.05)


def worker_argv() -> list[str]:
    return [sys.executable, "-m", "muistot.cli", "worker"]


@pytest.fixture
def workers(test_settings: Settings, tmp_path: Path) -> Iterator[tuple[Stack, Settings]]:
    """Worker processes on a Redis prefix of their own (the suite's own worker never sees this mail)."""
    settings = test_settings.model_copy(update={
        "redis_prefix": f"{test_settings.redis_prefix}crash{secrets.token_hex(3)}:", "mail_lease_seconds": LEASE,
        "log_json": False})
    stack = Stack(settings, log_dir=tmp_path / "logs", services=(), gateway=False, worker=False)
    try:
        yield stack, settings
    finally:
        stack.stop()


def kill_dead(stack: Stack, name: str) -> None:
    process = stack.children[name].process
    assert process is not None
    os.killpg(process.pid, signal.SIGKILL)
    process.wait()


def queue(settings: Settings, to: str) -> None:
    async def put() -> None:
        clients = RedisClients.from_settings(settings)
        try:
            await enqueue(clients, MailMessage(to=to, subject="Muistot", text="text\n", html="<p>html</p>",
                                               kind="test"), settings)
        finally:
            await clients.close()

    run_async(put())


def dead_worker_state(settings: Settings) -> tuple[list[str], list[int]]:
    """The worker ids still registered, and the remaining lease (ms) of each."""
    redis = Redis.from_url(settings.cache_redis_url)
    try:
        ids = sorted(member.decode() for member in redis.smembers(f"{settings.redis_prefix}{WORKERS}"))
        return ids, [int(redis.pttl(f"{settings.redis_prefix}{alive_key(worker)}")) for worker in ids]
    finally:
        redis.close()


def held_by(settings: Settings, worker: str) -> int:
    redis = Redis.from_url(settings.cache_redis_url)
    try:
        return int(redis.llen(f"{settings.redis_prefix}{processing_key(worker)}"))
    finally:
        redis.close()


@pytest.mark.parametrize(("step", "delivered_by_the_first"), [("MAIL", False), ("QUIT", True)])
def test_a_worker_killed_mid_delivery_loses_nothing_and_sends_nothing_twice(
        workers: tuple[Stack, Settings], step: str, delivered_by_the_first: bool) -> None:
    stack, settings = workers
    sink = HoldingSink(step).start()
    try:
        settings = settings.model_copy(update={"mail_url": sink.url})
        stack.settings = settings
        address = f"crash-{secrets.token_hex(3)}@example.com"
        queue(settings, address)
        stack.spawn("first", worker_argv())
        assert sink.holding.wait(60), "the worker never reached the held step"
        [dead], [lease_left] = dead_worker_state(settings)
        assert held_by(settings, dead) == 1
        assert 0 < lease_left <= LEASE * 1000  # a short lease, renewed while the worker lives
        assert len(sink.to(address)) == int(delivered_by_the_first)
        kill_dead(stack, "first")
        sink.released.set()

        stack.spawn("second", worker_argv())
        # The dead worker's mail is handed back once its lease lapses, and delivered (or found sent).
        wait_until(lambda: dead not in dead_worker_state(settings)[0], "the dead worker's mail was reclaimed")
        probe = f"probe-{secrets.token_hex(3)}@example.com"
        queue(settings, probe)
        wait_until(lambda: len(sink.to(probe)) == 1, "the second worker delivers")
        assert len(sink.to(address)) == 1, f"{address} delivered {len(sink.to(address))} times"
    finally:
        sink.released.set()
        sink.stop()
