"""The mail outbox: a Redis list the worker drains, so sending never blocks a request.

A message that cannot be delivered is retried with backoff until it expires (a login link is
useless after its token has expired); every failure and every drop is logged.

Keys (cache Redis, under the deployment prefix):
- `mail:outbox` list: queued messages (LPUSH here, the worker takes from the right: FIFO);
- `mail:processing:<worker>` list: what one worker is delivering (LMOVE from the outbox, so a
  message in hand survives a crash); `mail:alive:<worker>` is that worker's lease on it and
  `mail:workers` the set of worker ids, so a live worker hands a dead one's messages back;
- `mail:sent:<id>`: set the moment the mail server took a message, so a copy found after a crash is
  not sent again;
- `mail:retry` sorted set: failed messages scored by the time of their next attempt.

Every entry under those keys is encrypted (the bodies hold one-time login links and codes): AES-GCM
with a key derived by HKDF-SHA256 from MUISTOT_IDENTITY_SECRET, a fresh nonce per entry, the whole
JSON message as the plaintext and the message id, in the clear, as associated data. An entry reads
`v1.<id>.<base64url(nonce + ciphertext)>`, so a worker can name (only by id) a message it cannot
decrypt, e.g. after the secret was changed.
"""

from __future__ import annotations

import base64
import binascii
import json
import os
import re
import time
import uuid
from dataclasses import asdict, dataclass, field, fields
from functools import lru_cache

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from muistot.redis import RedisClients
from muistot.settings import Settings

OUTBOX = "mail:outbox"
RETRY = "mail:retry"
WORKERS = "mail:workers"


def processing_key(worker_id: str) -> str:
    return f"mail:processing:{worker_id}"


def alive_key(worker_id: str) -> str:
    return f"mail:alive:{worker_id}"


def sent_key(mail_id: str) -> str:
    return f"mail:sent:{mail_id}"


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


KEY_CONTEXT = b"muistot mail outbox v1"
ENTRY_VERSION = b"v1"
NONCE_BYTES = 12
# Ids are ours (uuid hex); anything else in an entry that fails to decrypt is not worth logging.
LOGGABLE_ID = re.compile(rb"[0-9A-Za-z_-]{1,64}")


class UnreadableMail(ValueError):
    """An outbox entry that cannot be decrypted or parsed; `mail_id` is its id when the entry names one."""

    def __init__(self, mail_id: str | None) -> None:
        super().__init__(f"unreadable mail entry {mail_id or '(no id)'}")
        self.mail_id = mail_id


class OutboxCipher:
    """Seals messages for the outbox and opens them again (see the module docstring for the format)."""

    def __init__(self, secret: str) -> None:
        key = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=KEY_CONTEXT).derive(secret.encode())
        self._aead = AESGCM(key)

    def seal(self, message: MailMessage) -> bytes:
        mail_id = message.id.encode()
        if not LOGGABLE_ID.fullmatch(mail_id):
            raise ValueError("a mail id is 1-64 letters, digits, '-' or '_'")
        nonce = os.urandom(NONCE_BYTES)
        sealed = self._aead.encrypt(nonce, message.to_json().encode(), mail_id)
        return b".".join((ENTRY_VERSION, mail_id, base64.urlsafe_b64encode(nonce + sealed)))

    def open(self, entry: bytes | str) -> MailMessage:
        """The message in an entry, or `UnreadableMail` (wrong key, tampered, or not an entry at all)."""
        raw = entry.encode() if isinstance(entry, str) else entry
        version, _, rest = raw.partition(b".")
        mail_id, _, payload = rest.partition(b".")
        if version != ENTRY_VERSION or not LOGGABLE_ID.fullmatch(mail_id):
            raise UnreadableMail(None)
        name = mail_id.decode()
        try:
            blob = base64.urlsafe_b64decode(payload)
            plaintext = self._aead.decrypt(blob[:NONCE_BYTES], blob[NONCE_BYTES:], mail_id)
            message = MailMessage.from_json(plaintext)
        except (InvalidTag, binascii.Error, ValueError, TypeError):  # JSON errors are ValueErrors
            raise UnreadableMail(name) from None
        if message.id != name:  # authenticated, so only a message sealed under another id by us
            raise UnreadableMail(name)
        return message


@lru_cache(maxsize=4)
def outbox_cipher(secret: str) -> OutboxCipher:
    """The cipher for a secret, derived once per process."""
    return OutboxCipher(secret)


async def enqueue(redis: RedisClients, message: MailMessage, settings: Settings) -> None:
    """Queue a message for the worker, encrypted (raises redis errors: the caller's request then fails with 503)."""
    await redis.cache.lpush(redis.key(OUTBOX), outbox_cipher(settings.identity_secret).seal(message))
