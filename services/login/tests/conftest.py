"""Helpers for the login tests: the file mailbox, the worker's mail job, client addresses, extra apps."""

from __future__ import annotations

import email
import secrets
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from email.message import EmailMessage
from email.policy import default as default_policy
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs

import httpx
import pytest

from muistot import jobs
from muistot.settings import Settings
from muistot.worker import WorkerContext
from muistot_login.app import create_app
from muistot_tooling.testing.plugin import running


def new_ip() -> str:
    """A client address of its own for a test, so per-IP limits of other tests never interfere."""
    return f"198.18.{secrets.randbelow(256)}.{secrets.randbelow(254) + 1}"


def from_ip(ip: str | None = None, **headers: str) -> dict[str, str]:
    # The in-process client connects from 127.0.0.1, a trusted proxy, so X-Forwarded-For counts.
    return {"X-Forwarded-For": ip or new_ip(), **headers}


def free_port_url(scheme: str, *, db: int = 0, path: str | None = None) -> str:
    """A URL of a server that is not running (a port nobody listens on)."""
    from muistot_tooling.testing.smtp_sink import free_port

    return f"{scheme}://127.0.0.1:{free_port()}{path if path is not None else f'/{db}'}"


def new_email(tag: str = "user") -> str:
    return f"{tag}-{secrets.token_hex(5)}@example.com"


@dataclass
class Link:
    action: str
    user: str
    token: str
    verified: str
    url: str


def link_in(mail: EmailMessage) -> Link:
    text = mail.get_body(("plain",)).get_content()
    url = next(word for word in text.split() if "#" in word)
    action, _, query = url.split("#", 1)[1].partition(":")
    params = {key: values[0] for key, values in parse_qs(query, keep_blank_values=True).items()}
    return Link(action=action, user=params["user"], token=params["token"], verified=params["verified"], url=url)


class Mailbox:
    """The `file://` mailbox of the test settings, filled by running the worker's mail job."""

    def __init__(self, settings: Settings, app: Any) -> None:
        self.directory = Path(settings.mail_url.removeprefix("file://"))
        self.context = WorkerContext(settings=settings, db=app.state.db, redis=app.state.redis,
                                     sessions=app.state.sessions)

    async def deliver(self) -> None:
        await jobs.deliver_mail(self.context)

    def read(self) -> list[EmailMessage]:
        files = sorted(self.directory.glob("*.eml")) if self.directory.exists() else []
        return [email.message_from_bytes(path.read_bytes(), policy=default_policy)  # type: ignore[misc]
                for path in files]

    async def to(self, address: str) -> list[EmailMessage]:
        await self.deliver()
        return [mail for mail in self.read() if mail["To"] == address]

    async def last(self, address: str) -> EmailMessage:
        mails = await self.to(address)
        assert mails, f"no mail to {address}"
        return mails[-1]


@pytest.fixture
def login(service_client: Callable[[str], httpx.AsyncClient]) -> httpx.AsyncClient:
    return service_client("login")


@pytest.fixture
def mailbox(test_settings: Settings, login: httpx.AsyncClient) -> Mailbox:
    return Mailbox(test_settings, login.app)  # type: ignore[attr-defined]


@pytest.fixture
def login_app_with(test_settings: Settings) -> Callable[..., Any]:
    """`async with login_app_with(login_limit_per_ip=2) as client:` a login app with other settings."""

    @asynccontextmanager
    async def make(client: tuple[str, int] | None = None, **overrides: Any) -> AsyncIterator[httpx.AsyncClient]:
        app = create_app(test_settings.model_copy(update=overrides))
        async with running(app) as http:
            if client is not None:
                transport = httpx.ASGITransport(app=app, client=client)
                async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as other:
                    other.app = app  # type: ignore[attr-defined]
                    yield other
                    return
            http.app = app  # type: ignore[attr-defined]
            yield http

    return make
