"""Helpers for the end-to-end flows: sign in by e-mail link through the gateway, read the mailbox,
make test images, create projects, grant superuser rights with the `muistot` command, read the DB.

Every client of the test suite connects from 127.0.0.1, which the gateway trusts as a proxy, so a
sign-in names its own client address in `X-Forwarded-For`: each simulated person then has the
per-IP login allowance a real visitor has, and one flow's rate-limit test cannot starve another's
sign-ins.
"""

from __future__ import annotations

import base64
import io
import itertools
import os
import re
import secrets
import subprocess
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path
from typing import Any, Protocol
from urllib.parse import parse_qsl, unquote, urlsplit

import httpx
from PIL import Image
from sqlalchemy import Executable

from muistot.db.engine import create_engine
from muistot.settings import Settings
from muistot_tooling.runner import settings_env

MAIL_TIMEOUT = 30.0  # the worker delivers every half second; this only bounds a broken run
_addresses = itertools.count(1)


def client_address() -> str:
    """A client IP no other simulated person in this run uses (TEST-NET-2, then TEST-NET-3)."""
    n = next(_addresses)
    return f"198.51.100.{n}" if n < 255 else f"203.0.113.{n % 254 + 1}"


def new_email(prefix: str = "flow") -> str:
    return f"{prefix}-{secrets.token_hex(5)}@example.com"


def describe(response: httpx.Response) -> str:
    """The request and its answer, with the request id to look up in the stack's logs."""
    request_id = response.headers.get("x-request-id", "?")
    return f"{response.request.method} {response.request.url} [{request_id}] → {response.status_code}: {response.text}"


def assert_error(response: httpx.Response, status: int, message: str | None = None) -> dict[str, Any]:
    """The contract's JSON error envelope with this status (and message, when given)."""
    assert response.status_code == status, describe(response)
    assert response.headers["content-type"].startswith("application/json"), response.text
    body = response.json()
    assert body["error"]["code"] == status, body
    if message is not None:
        assert body["error"]["message"] == message, body
    return body


def bearer(response: httpx.Response) -> str:
    """The session token of a login-like success (`Authorization: bearer <token>`)."""
    scheme, _, token = response.headers["authorization"].partition(" ")
    assert scheme.lower() == "bearer" and token, response.headers["authorization"]
    return token


class SignedIn(Protocol):
    """Anyone with a bearer token: a `Session` here or conftest's `GatewayUser`."""

    @property
    def headers(self) -> dict[str, str]: ...


@dataclass
class Session:
    """One signed-in device of a person: the bearer token and the client address it signs in from."""

    email: str
    token: str
    ip: str

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}


# --- the file mailbox ----------------------------------------------------------------------------


class Mailbox:
    """The `.eml` files the worker writes under the stack's `MUISTOT_MAIL_URL` (`file:///dir`)."""

    def __init__(self, settings: Settings) -> None:
        url = urlsplit(settings.mail_url)
        assert url.scheme == "file", f"system tests need a file mailbox, not {settings.mail_url}"
        self.directory = Path(unquote(url.path))

    def snapshot(self) -> set[str]:
        """Names of the mails already delivered (take one before the request that sends a mail)."""
        if not self.directory.exists():
            return set()
        return {path.name for path in self.directory.glob("*.eml")}

    def wait_for(self, to: str, marker: str, before: set[str], timeout: float = MAIL_TIMEOUT) -> EmailMessage:
        """The first mail to `to` delivered after `before` whose plain text contains `marker`."""
        deadline = time.monotonic() + timeout
        while True:
            for name in sorted(self.snapshot() - before):
                message = message_from_bytes((self.directory / name).read_bytes(), policy=policy.default)
                assert isinstance(message, EmailMessage)
                if message["To"].strip().lower() == to.lower() and marker in plain_text(message):
                    return message
            if time.monotonic() >= deadline:
                raise AssertionError(f"no mail to {to} containing {marker!r} within {timeout:.0f} s")
            time.sleep(0.05)


def plain_text(message: EmailMessage) -> str:
    part = message.get_body(preferencelist=("plain",))
    assert part is not None, "the mail has no plain-text part"
    return str(part.get_content())


def fragment_params(text: str, action: str) -> dict[str, str]:
    """The parameters of a `#<action>:k=v&…` link in a mail's text (form-urlencoded)."""
    found = re.search(rf"#{re.escape(action)}:(\S+)", text)
    assert found, f"no #{action}: link in {text!r}"
    return dict(parse_qsl(found.group(1), keep_blank_values=True))


# --- signing in ----------------------------------------------------------------------------------


def request_login_link(gateway: httpx.Client, email: str, ip: str) -> httpx.Response:
    return gateway.post("/auth/email", params={"email": email}, headers={"X-Forwarded-For": ip})


def sign_in(gateway: httpx.Client, mailbox: Mailbox, email: str | None = None, ip: str | None = None) -> Session:
    """Sign in by e-mail link through the gateway, the way the frontend does.

    POST /auth/email, wait for the worker to deliver the mail, take `user` and `token` from its
    `#email-login:` link, POST /auth/email/exchange and keep the `Authorization` response header.
    """
    email = email or new_email()
    ip = ip or client_address()
    before = mailbox.snapshot()
    requested = request_login_link(gateway, email, ip)
    assert requested.status_code == 204, describe(requested)
    link = fragment_params(plain_text(mailbox.wait_for(email, "#email-login:", before)), "email-login")
    exchanged = gateway.post("/auth/email/exchange", params={"user": link["user"], "token": link["token"]},
                             headers={"X-Forwarded-For": ip})
    assert exchanged.status_code == 200, describe(exchanged)
    assert exchanged.content == b""
    return Session(email=email, token=bearer(exchanged), ip=ip)


def username_of(gateway: httpx.Client, session: Session) -> str:
    me = gateway.get("/me", headers=session.headers)
    assert me.status_code == 200, describe(me)
    return str(me.json()["username"])


# --- administration ------------------------------------------------------------------------------


def muistot_command(settings: Settings, *args: str) -> subprocess.CompletedProcess[str]:
    """Run the `muistot` command line against the stack's database and Redis."""
    env = {key: value for key, value in os.environ.items() if not key.startswith("MUISTOT_")}
    env.update(settings_env(settings))
    executable = Path(sys.executable).parent / "muistot"
    return subprocess.run([str(executable), *args], env=env, capture_output=True, text=True, timeout=60,
                          check=False)


def grant_superuser(settings: Settings, email: str) -> None:
    """`muistot superuser grant EMAIL`: the live sessions of that account become superuser at once."""
    done = muistot_command(settings, "superuser", "grant", email)
    assert done.returncode == 0, done.stderr
    assert "is now a superuser" in done.stdout, done.stdout


def new_project_id(prefix: str = "flow") -> str:
    return f"{prefix}-{secrets.token_hex(5)}"


def create_project(gateway: httpx.Client, superuser: SignedIn, *, auto_publish: bool = False,
                   admins: Sequence[str] = (), publish: bool = True) -> str:
    """A project made (and published) through the admin API by a superuser; returns its id."""
    project = new_project_id()
    created = gateway.post("/projects", headers=superuser.headers, json={
        "id": project, "info": {"lang": "fi", "name": f"Projekti {project}", "abstract": "Muistoja kartalla"},
        "auto_publish": auto_publish, "admins": list(admins)})
    assert created.status_code == 201, describe(created)
    if publish:
        published = gateway.post(f"/projects/{project}/publish", params={"publish": "true"},
                                 headers=superuser.headers)
        assert published.status_code == 204, describe(published)
    return project


def create_site(gateway: httpx.Client, author: SignedIn, project: str, *, image: str | None = None) -> str:
    site = f"site-{secrets.token_hex(5)}"
    body: dict[str, Any] = {"id": site, "info": {"lang": "fi", "name": f"Paikka {site}"},
                            "location": {"lat": 65.0121, "lon": 25.4651}}
    if image is not None:
        body["image"] = image
    created = gateway.post(f"/projects/{project}/sites", headers=author.headers, json=body)
    assert created.status_code == 201, describe(created)
    assert created.headers["location"].endswith(f"/projects/{project}/sites/{site}")
    return site


def create_memory(gateway: httpx.Client, author: SignedIn, project: str, site: str, *,
                  image: str | None = None, title: str = "Kesä 1965") -> int:
    body: dict[str, Any] = {"title": title, "story": "Uimme joessa joka ilta."}
    if image is not None:
        body["image"] = image
    created = gateway.post(f"/projects/{project}/sites/{site}/memories", headers=author.headers, json=body)
    assert created.status_code == 201, describe(created)
    return int(created.headers["location"].rstrip("/").rsplit("/", 1)[1])


def create_comment(gateway: httpx.Client, author: SignedIn, project: str, site: str, memory: int,
                   text: str = "Muistan tämän!") -> int:
    created = gateway.post(f"/projects/{project}/sites/{site}/memories/{memory}/comments",
                           headers=author.headers, json={"comment": text})
    assert created.status_code == 201, describe(created)
    return int(created.headers["location"].rstrip("/").rsplit("/", 1)[1])


def site_ids(response: httpx.Response) -> list[str]:
    assert response.status_code == 200, response.text
    return [item["id"] for item in response.json()["items"]]


# --- images --------------------------------------------------------------------------------------

CAMERA_TAG = 0x0110  # EXIF "Model"
SOFTWARE_TAG = 0x0131


def png_with_exif(size: tuple[int, int] = (48, 32), colour: tuple[int, int, int] = (200, 40, 40)) -> bytes:
    """A small PNG whose eXIf chunk names a camera: the stored copy must have lost it."""
    exif = Image.Exif()
    exif[CAMERA_TAG] = "Flow Test Camera"
    exif[SOFTWARE_TAG] = "muistot system test"
    buffer = io.BytesIO()
    Image.new("RGB", size, colour).save(buffer, "PNG", exif=exif)
    return buffer.getvalue()


def base64_text(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


# --- direct database reads (only to check that nothing was written) -------------------------------


async def db_rows(settings: Settings, query: Executable) -> list[Any]:
    engine = create_engine(settings)
    try:
        async with engine.connect() as conn:
            return list(await conn.execute(query))
    finally:
        await engine.dispose()


# --- signing in with an OpenID Connect provider --------------------------------------------------


@dataclass
class ProviderReturn:
    """Where the callback sent the browser: `#oauth-login:code=…` or `#oauth-error:error=…`."""

    action: str
    params: dict[str, str]
    request_id: str


def start_provider_sign_in(gateway: httpx.Client, provider: str, ip: str) -> str:
    """`GET /auth/oauth/{provider}` as the browser navigates there; the provider's authorization URL."""
    started = gateway.get(f"/auth/oauth/{provider}", headers={"X-Forwarded-For": ip})
    assert started.status_code == 302, describe(started)
    return started.headers["location"]


def return_from_provider(gateway: httpx.Client, settings: Settings, callback: str, ip: str) -> ProviderReturn:
    """Follow the provider's redirect to our callback (through the gateway) and read where it sends us."""
    request_id = secrets.token_hex(16)
    answered = gateway.get(callback, headers={"X-Forwarded-For": ip, "X-Request-Id": request_id})
    assert answered.status_code == 302, describe(answered)
    location = answered.headers["location"]
    assert location.startswith(f"{settings.public_url}#"), location
    action, _, query = location.split("#", 1)[1].partition(":")
    return ProviderReturn(action=action, params=dict(parse_qsl(query, keep_blank_values=True)), request_id=request_id)


def exchange_provider_code(gateway: httpx.Client, code: str, ip: str) -> httpx.Response:
    return gateway.post("/auth/oauth/exchange", json={"code": code}, headers={"X-Forwarded-For": ip})


def sign_in_with_provider(gateway: httpx.Client, settings: Settings, provider: str, authorize: Any, sub: str,
                          ip: str | None = None) -> Session:
    """The whole sign-in the way a frontend and a person do it: start, the provider's form (`authorize`,
    e.g. `ProviderProcess.authorize`), our callback, and the exchange of the one-time code."""
    ip = ip or client_address()
    callback = authorize(start_provider_sign_in(gateway, provider, ip), sub)
    returned = return_from_provider(gateway, settings, callback, ip)
    assert returned.action == "oauth-login", returned
    exchanged = exchange_provider_code(gateway, returned.params["code"], ip)
    assert exchanged.status_code == 200, describe(exchanged)
    assert exchanged.content == b""
    return Session(email="", token=bearer(exchanged), ip=ip)
