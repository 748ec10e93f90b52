"""The mail outbox: a Redis list the worker drains, so sending never blocks a request.

A message that cannot be delivered is retried with backoff until it expires (a login link is
useless after its token has expired); every failure and every drop is logged.
"""

from __future__ import annotations

import json
import time
import uuid
from dataclasses import asdict, dataclass, field

from muistot.redis import RedisClients

OUTBOX = "mail:outbox"


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

    def to_json(self) -> str:
        return json.dumps(asdict(self), ensure_ascii=False)

    @classmethod
    def from_json(cls, raw: bytes | str) -> MailMessage:
        return cls(**json.loads(raw))

    def expired(self, now: float | None = None) -> bool:
        return bool(self.expires_at) and (now or time.time()) >= self.expires_at


async def enqueue(redis: RedisClients, message: MailMessage) -> None:
    """Queue a message for the worker (raises redis errors: the caller's request then fails with 503)."""
    await redis.cache.lpush(redis.key(OUTBOX), message.to_json())
