"""A real OpenID Connect provider for tests: `oidc-provider-mock` as a process of its own, and a relay.

`ProviderProcess` runs the provider on a free port (`python -m oidc_provider_mock`); it signs ID
tokens with a key it generates at start, so `restart()` on the same port is a key rotation. Its
sign-in page is a form: `authorize(url, sub)` submits it the way a person would and returns where the
provider sends the browser (our callback with `code` and `state`).

`TokenRelay` is a real HTTP server that passes every request on to a provider process and can
change what crosses it, as a compromised network path or a confused provider would:
- `tamper = True`: the ID token's claims are rewritten (a verified address of someone else's),
  keeping the provider's signature, which then no longer matches;
- `client_id = "other"`: the code is redeemed for another client, so the provider answers with a
  genuine ID token issued to that client (another audience).
The provider names its issuer after the Host it is asked at, so behind the relay the issuer is the
relay's own address.
"""

from __future__ import annotations

import base64
import json
import subprocess
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import IO, Any
from urllib.parse import parse_qsl, quote, urlencode, urlsplit, urlunsplit

import httpx

from muistot_tooling.testing.ports import free_port

START_TIMEOUT = 30.0


class ProviderProcess:
    """`oidc-provider-mock` on 127.0.0.1:<port>; any client id and secret are accepted."""

    def __init__(self, log_path: Path, *, port: int | None = None, token_max_age: int | None = None) -> None:
        self.port = port or free_port()
        self.log_path = log_path
        self.token_max_age = token_max_age
        self._process: subprocess.Popen[bytes] | None = None
        self._log: IO[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> ProviderProcess:
        argv = [sys.executable, "-m", "oidc_provider_mock", "--host", "127.0.0.1", "--port", str(self.port)]
        if self.token_max_age is not None:
            argv.append(f"--token-max-age={self.token_max_age}")
        self._log = self.log_path.open("ab")
        self._process = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=self._log,  # noqa: S603
                                         stderr=subprocess.STDOUT, start_new_session=True)
        deadline = time.monotonic() + START_TIMEOUT
        while True:
            if self._process.poll() is not None:
                raise RuntimeError(f"the provider exited with {self._process.returncode}; see {self.log_path}")
            try:
                if httpx.get(f"{self.url}/.well-known/openid-configuration", timeout=2).status_code == 200:
                    return self
            except httpx.HTTPError:
                pass
            if time.monotonic() >= deadline:
                self.stop()
                raise RuntimeError(f"the provider did not answer within {START_TIMEOUT:.0f} s; see {self.log_path}")
            time.sleep(0.1)

    def stop(self) -> None:
        if self._process is not None:
            self._process.terminate()
            try:
                self._process.wait(10)
            except subprocess.TimeoutExpired:
                self._process.kill()
                self._process.wait(5)
            self._process = None
        if self._log is not None:
            self._log.close()
            self._log = None

    def restart(self) -> None:
        """Stop and start on the same port: the provider comes back with a new signing key."""
        self.stop()
        self.start()

    def signing_key_ids(self, base: str | None = None) -> list[str]:
        keys = httpx.get(f"{base or self.url}/jwks", timeout=5).json()["keys"]
        return [str(key["kid"]) for key in keys]

    def set_user(self, sub: str, claims: dict[str, Any], base: str | None = None) -> None:
        """The claims the provider puts into ID tokens for `sub` (without one it sends `email=sub`)."""
        response = httpx.put(f"{base or self.url}/users/{quote(sub, safe='')}", json=claims, timeout=5)
        assert response.status_code == 204, response.text

    @staticmethod
    def authorize(authorization_url: str, sub: str, *, client_id: str | None = None, deny: bool = False) -> str:
        """Submit the provider's sign-in form as `sub`; the URL the provider redirects the browser to.

        `client_id` changes the client the authorization is granted to (for the audience test)."""
        if client_id is not None:
            parts = urlsplit(authorization_url)
            query = dict(parse_qsl(parts.query, keep_blank_values=True))
            query["client_id"] = client_id
            authorization_url = urlunsplit(parts._replace(query=urlencode(query)))
        form = {"action": "deny"} if deny else {"sub": sub}
        response = httpx.post(authorization_url, data=form, timeout=10, follow_redirects=False)
        assert response.status_code in (302, 303), f"{response.status_code}: {response.text[:500]}"
        return response.headers["location"]


def _b64decode(segment: str) -> bytes:
    return base64.urlsafe_b64decode(segment + "=" * (-len(segment) % 4))


def _b64encode(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def claims_of(id_token: str) -> dict[str, Any]:
    return json.loads(_b64decode(id_token.split(".")[1]))


def with_claims(id_token: str, **changes: Any) -> str:
    """The token with its payload rewritten and the original signature kept."""
    header, _, signature = id_token.split(".")
    payload = {**claims_of(id_token), **changes}
    return ".".join((header, _b64encode(json.dumps(payload).encode()), signature))


class TokenRelay:
    """A real HTTP server on 127.0.0.1 that relays to `upstream` and can alter the token exchange."""

    TAMPERED_EMAIL = "someone-else@example.com"

    def __init__(self, upstream: str) -> None:
        self.upstream = upstream.rstrip("/")
        self.tamper = False
        self.client_id: str | None = None
        self.id_tokens: list[str] = []  # as the provider sent them, before any change
        relay = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                relay._relay(self)

            def do_POST(self) -> None:
                relay._relay(self)

            def do_PUT(self) -> None:
                relay._relay(self)

            def log_message(self, format: str, *args: Any) -> None:  # the relay keeps quiet
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    def start(self) -> TokenRelay:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    def _relay(self, handler: BaseHTTPRequestHandler) -> None:
        length = int(handler.headers.get("content-length") or 0)
        body = handler.rfile.read(length) if length else b""
        headers = {name: value for name, value in handler.headers.items()
                   if name.lower() not in ("host", "content-length", "connection")}
        token_request = handler.command == "POST" and handler.path.split("?")[0] == "/oauth2/token"
        if token_request and self.client_id is not None:
            credentials = base64.b64encode(f"{quote(self.client_id)}:any-secret".encode()).decode()
            headers = {name: value for name, value in headers.items() if name.lower() != "authorization"}
            headers["Authorization"] = f"Basic {credentials}"
        headers["Host"] = urlsplit(self.url).netloc  # the provider names its issuer after this
        try:
            answer = httpx.request(handler.command, self.upstream + handler.path, headers=headers, content=body,
                                   timeout=10, follow_redirects=False)
        except httpx.HTTPError:
            handler.send_error(502)
            return
        content = answer.content
        if token_request and answer.status_code == 200:
            content = self._altered(content)
        handler.send_response(answer.status_code)
        for name, value in answer.headers.items():
            if name.lower() not in ("content-length", "transfer-encoding", "connection", "content-encoding"):
                handler.send_header(name, value)
        handler.send_header("Content-Length", str(len(content)))
        handler.end_headers()
        handler.wfile.write(content)

    def _altered(self, content: bytes) -> bytes:
        token = json.loads(content)
        self.id_tokens.append(token["id_token"])
        if self.tamper:
            token["id_token"] = with_claims(token["id_token"], email=self.TAMPERED_EMAIL, email_verified=True)
        return json.dumps(token).encode()
