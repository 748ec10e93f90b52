"""The worker side of the outbox: take queued mail, send it, retry failures, hand back a dead worker's mail.

Every step is logged with the message id and kind, never the body (it holds links and tokens).
A message is retried with exponential backoff (5 s, 10 s, 20 s … at most 10 min) and dropped, with
an error in the log, only once it has expired: its own `expires_at`, or `created_at` plus
MUISTOT_MAIL_MAX_AGE_SECONDS for mail without one.

Entries are decrypted here and re-encrypted (fresh nonce) when a failed message goes to the retry set;
an entry that cannot be decrypted (e.g. MUISTOT_IDENTITY_SECRET changed) is logged by id and dropped.

A crash of the worker loses nothing, delays little and sends nothing twice:
- the mail a worker holds stays in its processing list under a lease (`mail:alive:<worker>`,
  MUISTOT_MAIL_LEASE_SECONDS) that it renews while it works, also in the middle of a slow send; once
  a dead worker's lease lapses, the next round of any worker puts its mail back in the outbox, so a
  mail in hand at a crash goes out a lease later, not a minute later;
- the moment the mail server has taken a message (its answer to DATA, before QUIT), the worker marks
  its id as sent (`mail:sent:<id>`), and a marked message found again after a crash is not sent again.
  Only a crash between the server's answer and that one Redis write can still send a mail twice.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass, field

from redis.exceptions import RedisError, WatchError

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
    sent_key,
)
from muistot.redis import RedisClients
from muistot.settings import Settings

log = logging.getLogger("muistot.mail.delivery")

BACKOFF_BASE = 5.0
BACKOFF_MAX = 600.0
LEASE_SECONDS = 10.0  # MUISTOT_MAIL_LEASE_SECONDS
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
    already_sent: int = 0


@dataclass
class Courier:
    """One worker's mail delivery; `run_once()` is called by the `deliver_mail` job every half second."""

    redis: RedisClients
    mailer: Mailer
    sender: str
    max_age: float
    cipher: OutboxCipher
    lease: float = LEASE_SECONDS
    worker_id: str = field(default_factory=lambda: uuid.uuid4().hex)

    @classmethod
    def from_settings(cls, redis: RedisClients, settings: Settings) -> Courier:
        return cls(redis=redis, mailer=mailer_from_url(settings.mail_url), sender=settings.mail_sender,
                   max_age=settings.mail_max_age_seconds, cipher=outbox_cipher(settings.identity_secret),
                   lease=settings.mail_lease_seconds)

    def _k(self, name: str) -> str:
        return self.redis.key(name)

    async def run_once(self, now: float | None = None) -> DeliveryReport:
        report = DeliveryReport()
        await self.heartbeat()
        report.reclaimed = await self.reclaim_dead_workers()
        await self._requeue_own_leftovers()
        await self.promote_due_retries(now)
        started = time.monotonic()
        cache = self.redis.cache
        async with self._lease_kept():
            for _ in range(BATCH):
                raw = await cache.lmove(self._k(OUTBOX), self._k(processing_key(self.worker_id)), "RIGHT", "LEFT")
                if raw is None:
                    break
                await self._deliver(raw, report, now)
                if time.monotonic() - started > BUDGET_SECONDS:
                    break
        return report

    async def heartbeat(self) -> None:
        """Take (or renew) this worker's lease on the mail it holds."""
        async with self.redis.cache.pipeline(transaction=True) as pipe:
            pipe.set(self._k(alive_key(self.worker_id)), b"1", px=int(self.lease * 1000))
            pipe.sadd(self._k(WORKERS), self.worker_id)
            await pipe.execute()

    @contextlib.asynccontextmanager
    async def _lease_kept(self) -> AsyncIterator[None]:
        """Renew the lease three times per term while delivering, however long one send takes."""

        async def renew() -> None:
            while True:
                await asyncio.sleep(self.lease / 3)
                try:
                    await self.heartbeat()
                except RedisError as exc:
                    log.warning("could not renew the mail lease: %s", type(exc).__name__)

        renewing = asyncio.create_task(renew())
        try:
            yield
        finally:
            renewing.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await renewing

    async def _requeue_own_leftovers(self) -> None:
        """Mail this worker took but did not finish (a Redis error mid-round) goes back to the outbox."""
        cache = self.redis.cache
        while await cache.lmove(self._k(processing_key(self.worker_id)), self._k(OUTBOX), "LEFT", "RIGHT"):
            pass

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
        marker = self._k(sent_key(message.id))
        if await self.redis.cache.exists(marker):
            log.warning("mail %s (%s) was sent before its worker stopped; not sending it again", message.id,
                        message.kind)
            report.already_sent += 1
            await self._done(raw)
            return
        taken = False

        async def accepted() -> None:
            nonlocal taken
            taken = True
            # Kept as long as a copy of the message could still come back for delivery.
            await self.redis.cache.set(marker, b"1", ex=max(60, int(deadline - moment) + 60))

        try:
            await self.mailer.send(to_email(message, self.sender), accepted)
        except Exception as exc:  # any driver failure is retried; the reason is logged
            if taken:  # the server has it; only our bookkeeping failed: never send it again
                log.error("mail %s (%s) was sent, but recording it failed: %s", message.id, message.kind,
                          type(exc).__name__)
                report.sent += 1
                await self._done(raw)
                return
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
