"""The worker side of the outbox: take queued mail, send it, retry failures, hand back a dead worker's mail.

Every step is logged with the message id and kind, never the body (it holds links and tokens).
A message is retried with exponential backoff (5 s, 10 s, 20 s … at most 10 min) and dropped, with
an error in the log, only once it has expired: its own `expires_at`, or `created_at` plus
MUISTOT_MAIL_MAX_AGE_SECONDS for mail without one.

Entries are decrypted here and re-encrypted (fresh nonce) when a failed message goes to the retry set;
an entry that cannot be decrypted (e.g. MUISTOT_IDENTITY_SECRET changed) is logged by id and dropped.
"""

from __future__ import annotations

import logging
import time
import uuid
from dataclasses import dataclass, field

from redis.exceptions import WatchError

from muistot.mail.drivers import Mailer, mailer_from_url
from muistot.mail.mime import to_email
from muistot.mail.outbox import (
    OUTBOX,
    RETRY,
    WORKERS,
    OutboxCipher,
    UnreadableMail,
    alive_key,
    outbox_cipher,
    processing_key,
)
from muistot.redis import RedisClients
from muistot.settings import Settings

log = logging.getLogger("muistot.mail.delivery")

BACKOFF_BASE = 5.0
BACKOFF_MAX = 600.0
HEARTBEAT_SECONDS = 60
BATCH = 50
BUDGET_SECONDS = 5.0


def backoff(attempts: int) -> float:
    """Seconds to wait after the n-th failed attempt."""
    return min(BACKOFF_BASE * 2 ** max(0, attempts - 1), BACKOFF_MAX)


@dataclass
class DeliveryReport:
    sent: int = 0
    failed: int = 0
    dropped: int = 0
    reclaimed: int = 0


@dataclass
class Courier:
    """One worker's mail delivery; `run_once()` is called by the `deliver_mail` job every half second."""

    redis: RedisClients
    mailer: Mailer
    sender: str
    max_age: float
    cipher: OutboxCipher
    worker_id: str = field(default_factory=lambda: uuid.uuid4().hex)

    @classmethod
    def from_settings(cls, redis: RedisClients, settings: Settings) -> Courier:
        return cls(redis=redis, mailer=mailer_from_url(settings.mail_url), sender=settings.mail_sender,
                   max_age=settings.mail_max_age_seconds, cipher=outbox_cipher(settings.identity_secret))

    def _k(self, name: str) -> str:
        return self.redis.key(name)

    async def run_once(self, now: float | None = None) -> DeliveryReport:
        report = DeliveryReport()
        await self.heartbeat()
        report.reclaimed = await self.reclaim_dead_workers()
        await self.promote_due_retries(now)
        started = time.monotonic()
        cache = self.redis.cache
        for _ in range(BATCH):
            raw = await cache.lmove(self._k(OUTBOX), self._k(processing_key(self.worker_id)), "RIGHT", "LEFT")
            if raw is None:
                break
            await self._deliver(raw, report, now)
            if time.monotonic() - started > BUDGET_SECONDS:
                break
        return report

    async def heartbeat(self) -> None:
        async with self.redis.cache.pipeline(transaction=True) as pipe:
            pipe.set(self._k(alive_key(self.worker_id)), b"1", ex=HEARTBEAT_SECONDS)
            pipe.sadd(self._k(WORKERS), self.worker_id)
            await pipe.execute()

    async def reclaim_dead_workers(self) -> int:
        """Put the mail a crashed worker was holding back into the outbox."""
        cache = self.redis.cache
        moved = 0
        for member in await cache.smembers(self._k(WORKERS)):
            worker = member.decode() if isinstance(member, bytes) else str(member)
            if worker == self.worker_id or await cache.exists(self._k(alive_key(worker))):
                continue
            while await cache.lmove(self._k(processing_key(worker)), self._k(OUTBOX), "LEFT", "RIGHT") is not None:
                moved += 1
            await cache.srem(self._k(WORKERS), worker)
        if moved:
            log.warning("re-queued %d mail message(s) of stopped workers", moved)
        return moved

    async def promote_due_retries(self, now: float | None = None) -> int:
        """Move retries whose time has come back to the outbox (atomically, so no two workers both do)."""
        cache = self.redis.cache
        retry, outbox = self._k(RETRY), self._k(OUTBOX)
        async with cache.pipeline(transaction=True) as pipe:
            await pipe.watch(retry)
            due = await pipe.zrangebyscore(retry, "-inf", now or time.time(), start=0, num=BATCH)
            if not due:
                await pipe.unwatch()
                return 0
            pipe.multi()
            pipe.zrem(retry, *due)
            pipe.rpush(outbox, *due)  # the outbox is taken from the right: retries go first
            try:
                await pipe.execute()
            except WatchError:  # another worker moved them meanwhile; they are handled there
                return 0
        return len(due)

    async def _done(self, raw: bytes, retry_at: float | None = None, retry_raw: bytes | None = None) -> None:
        async with self.redis.cache.pipeline(transaction=True) as pipe:
            if retry_at is not None and retry_raw is not None:
                pipe.zadd(self._k(RETRY), {retry_raw: retry_at})
            pipe.lrem(self._k(processing_key(self.worker_id)), 1, raw)
            await pipe.execute()

    async def _deliver(self, raw: bytes, report: DeliveryReport, now: float | None) -> None:
        try:
            message = self.cipher.open(raw)
        except UnreadableMail as exc:
            if exc.mail_id:
                log.error("dropping mail %s: it cannot be decrypted (was MUISTOT_IDENTITY_SECRET changed?)",
                          exc.mail_id)
            else:
                log.error("dropping an unreadable entry from the mail outbox")
            report.dropped += 1
            await self._done(raw)
            return
        moment = now or time.time()
        deadline = message.expires_at or message.created_at + self.max_age
        if moment >= deadline:
            log.error("dropping mail %s (%s) after %d failed attempt(s): it expired before it could be delivered",
                      message.id, message.kind, message.attempts)
            report.dropped += 1
            await self._done(raw)
            return
        try:
            await self.mailer.send(to_email(message, self.sender))
        except Exception as exc:  # any driver failure is retried; the reason is logged
            message.attempts += 1
            delay = backoff(message.attempts)
            log.warning("mail %s (%s) attempt %d via %s failed: %s: %s; retrying in %.0f s",
                        message.id, message.kind, message.attempts, self.mailer.name, type(exc).__name__,
                        str(exc)[:200], delay)
            report.failed += 1
            await self._done(raw, moment + delay, self.cipher.seal(message))
            await self.heartbeat()
            return
        log.info("mail %s (%s) sent via %s", message.id, message.kind, self.mailer.name)
        report.sent += 1
        await self._done(raw)
        await self.heartbeat()
