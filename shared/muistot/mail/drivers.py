"""Mail drivers behind one interface, chosen by `MUISTOT_MAIL_URL`.

- `smtp://user:pass@host:port?starttls=true|false&timeout=10&verify=true` (STARTTLS is required
  when credentials are given, unless `starttls=false`; without credentials it is used if offered);
  `smtps://…` for implicit TLS (port 465 by default). No user part means no AUTH (a local sink).
- `file:///dir`: one `.eml` file per message, for development and tests.
- `log://`: logs recipient and subject only; never bodies, so never links or tokens.

Drivers only send; retries and expiry belong to the worker (`muistot.mail.delivery`). A driver calls
`accepted()` the moment the message is out of our hands (the SMTP server's answer to DATA, the file
in place), before it closes anything, so the worker records the delivery as early as it can.
"""

from __future__ import annotations

import asyncio
import logging
import os
import time
from collections.abc import Awaitable, Callable
from email.message import EmailMessage
from pathlib import Path
from typing import Protocol
from urllib.parse import parse_qs, unquote, urlsplit

import aiosmtplib

log = logging.getLogger("muistot.mail")


class MailConfigError(ValueError):
    """MUISTOT_MAIL_URL cannot be used."""


Accepted = Callable[[], Awaitable[None]]


async def _nothing() -> None:
    return None


class Mailer(Protocol):
    name: str

    async def send(self, message: EmailMessage, accepted: Accepted = _nothing) -> None:
        """Deliver one message or raise (any exception before `accepted()` counts as a failed attempt)."""


def _flag(query: dict[str, list[str]], name: str) -> bool | None:
    values = query.get(name)
    if not values:
        return None
    value = values[-1].strip().lower()
    if value in ("1", "true", "yes", "on"):
        return True
    if value in ("0", "false", "no", "off"):
        return False
    raise MailConfigError(f"MUISTOT_MAIL_URL: {name} must be true or false")


class SmtpMailer:
    name = "smtp"

    def __init__(self, url: str) -> None:
        parts = urlsplit(url)
        query = parse_qs(parts.query)
        self.implicit_tls = parts.scheme == "smtps"
        self.host = parts.hostname or "localhost"
        self.port = parts.port or (465 if self.implicit_tls else 25)
        self.username = unquote(parts.username) if parts.username else None
        self.password = unquote(parts.password) if parts.password else None
        starttls = _flag(query, "starttls")
        if self.implicit_tls:
            self.start_tls: bool | None = False
        elif starttls is None:
            # Never send credentials in the clear unless told to; without them, upgrade when offered.
            self.start_tls = True if self.username else None
        else:
            self.start_tls = starttls
        verify = _flag(query, "verify")
        self.validate_certs = True if verify is None else verify
        try:
            self.timeout = float(query.get("timeout", ["10"])[-1])
        except ValueError:
            raise MailConfigError("MUISTOT_MAIL_URL: timeout must be a number of seconds") from None

    async def send(self, message: EmailMessage, accepted: Accepted = _nothing) -> None:
        client = aiosmtplib.SMTP(
            hostname=self.host, port=self.port, username=self.username, password=self.password,
            use_tls=self.implicit_tls, start_tls=self.start_tls, validate_certs=self.validate_certs,
            timeout=self.timeout)
        async with client:  # connects (STARTTLS, AUTH); leaving it sends QUIT
            await client.send_message(message)
            await accepted()  # the server has taken it: before QUIT, whose answer we may never see


class FileMailer:
    name = "file"

    def __init__(self, directory: Path) -> None:
        self.directory = directory

    def _write(self, message: EmailMessage) -> Path:
        self.directory.mkdir(parents=True, exist_ok=True)
        ident = (message.get("X-Muistot-Mail-Id") or str(os.getpid())).strip()
        target = self.directory / f"{time.time_ns()}-{ident}.eml"
        partial = target.with_suffix(".tmp")
        partial.write_bytes(bytes(message))
        partial.replace(target)  # readers never see half a file
        return target

    async def send(self, message: EmailMessage, accepted: Accepted = _nothing) -> None:
        await asyncio.to_thread(self._write, message)
        await accepted()


class LogMailer:
    name = "log"

    async def send(self, message: EmailMessage, accepted: Accepted = _nothing) -> None:
        log.info("mail to %s: %s", message["To"], message["Subject"])
        await accepted()


def mailer_from_url(url: str) -> Mailer:
    parts = urlsplit(url)
    if parts.scheme in ("smtp", "smtps"):
        return SmtpMailer(url)
    if parts.scheme == "file":
        path = unquote(parts.path)
        if not path:
            raise MailConfigError("MUISTOT_MAIL_URL: file:// needs a directory, e.g. file:///var/mail")
        return FileMailer(Path(path))
    if parts.scheme == "log":
        return LogMailer()
    raise MailConfigError("MUISTOT_MAIL_URL must be smtp://, smtps://, file:///dir or log://")
