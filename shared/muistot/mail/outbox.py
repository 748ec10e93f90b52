"""The mail outbox: a Redis list the worker drains, so sending never blocks a request.

A message that cannot be delivered is retried with backoff until it expires (a login link is
useless after its token has expired); every failure and every drop is logged.

Keys (cache Redis, under the deployment prefix):
- `mail:outbox` list: queued messages (LPUSH here, the worker takes from the right: FIFO);
- `mail:processing:<worker>` list: what one worker is delivering (LMOVE from the outbox, so a
  message in hand survives a crash); `mail:alive:<worker>` is that worker's heartbeat and
  `mail:workers` the set of worker ids, so a live worker hands a dead one's messages back;
- `mail:retry` sorted set: failed messages scored by the time of their next attempt.
"""

from __future__ import annotations

import json
import time
import uuid
from dataclasses import asdict, dataclass, field, fields

from muistot.redis import RedisClients

OUTBOX = "mail:outbox"
RETRY = "mail:retry"
WORKERS = "mail:workers"


def processing_key(worker_id: str) -> str:
    return f"mail:processing:{worker_id}"


def alive_key(worker_id: str) -> str:
    return f"mail:alive:{worker_id}"


@dataclass
class MailMessage:
    to: str
    subject: str
    text: str
    html: str
    kind: str = "notice"
    # Unix time after which the message is worthless (its link expired) and is dropped, not retried.
    expires_at: float = 0.0
    id: str = field(default_factory=lambda: uuid.uuid4().hex)
    attempts: int = 0
    created_at: float = field(default_factory=time.time)
    lang: str = ""

    def to_json(self) -> str:
        return json.dumps(asdict(self), ensure_ascii=False)

    @classmethod
    def from_json(cls, raw: bytes | str) -> MailMessage:
        known = {f.name for f in fields(cls)}
        return cls(**{key: value for key, value in json.loads(raw).items() if key in known})

    def expired(self, now: float | None = None) -> bool:
        return bool(self.expires_at) and (now or time.time()) >= self.expires_at


async def enqueue(redis: RedisClients, message: MailMessage) -> None:
    """Queue a message for the worker (raises redis errors: the caller's request then fails with 503)."""
    await redis.cache.lpush(redis.key(OUTBOX), message.to_json())
