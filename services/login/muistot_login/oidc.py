"""The OpenID Connect client side, with Authlib: discovery, the provider's signing keys, the
authorization URL (PKCE S256, state, nonce), the code exchange and the ID token's validation.

Discovery documents are cached for an hour and key sets for ten minutes, per process. A token
whose key id the cached set lacks, or whose signature the cached key does not verify, makes us
fetch the set once more before refusing it: that is how a provider's key rotation reaches us
without a restart.
"""

from __future__ import annotations

import asyncio
import time
import warnings
from dataclasses import dataclass
from typing import Annotated, Any
from urllib.parse import urlsplit

import httpx
from authlib.oidc.core import CodeIDToken
from fastapi import Depends, Request
from joserfc import jwt
from joserfc.errors import BadSignatureError, InvalidKeyIdError, JoseError
from joserfc.jwk import KeySet
from pydantic_core import PydanticCustomError

from muistot.providers import OidcProvider
from muistot.validation import valid_email

with warnings.catch_warnings():
    # Authlib says once that it would rather have the `httpx2` package; with httpx it works the same.
    warnings.simplefilter("ignore", DeprecationWarning)
    from authlib.integrations.httpx_client import AsyncOAuth2Client, OAuthError

TIMEOUT = httpx.Timeout(5.0)
DISCOVERY_MAX_AGE = 3600.0
KEYS_MAX_AGE = 600.0
CLOCK_LEEWAY = 60  # seconds of clock difference allowed between us and the provider
# Signatures by the provider's published keys only: no `none`, and no HMAC keyed with our client secret.
ASYMMETRIC_ALGORITHMS = ("RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512",
                         "EdDSA")


class ProviderUnavailable(Exception):
    """The provider could not be reached or answered with something unusable."""


class CodeRejected(Exception):
    """The provider's token endpoint refused the authorization code."""


class InvalidIdToken(Exception):
    """The ID token failed validation (signature, issuer, audience, expiry, nonce, subject)."""


@dataclass(frozen=True)
class Metadata:
    authorization_endpoint: str
    token_endpoint: str
    jwks_uri: str
    algorithms: tuple[str, ...]
    auth_method: str
    fetched_at: float


@dataclass(frozen=True)
class ProvenIdentity:
    """What a valid ID token says about the person."""

    issuer: str
    subject: str
    email: str | None
    email_verified: bool


async def _get_json(url: str) -> dict[str, Any]:
    try:
        async with httpx.AsyncClient(timeout=TIMEOUT, follow_redirects=False) as client:
            response = await client.get(url, headers={"Accept": "application/json"})
        if response.status_code != 200:
            raise ProviderUnavailable(f"{url} answered {response.status_code}")
        document = response.json()
    except (httpx.HTTPError, ValueError) as exc:
        raise ProviderUnavailable(f"{url}: {type(exc).__name__}") from exc
    if not isinstance(document, dict):
        raise ProviderUnavailable(f"{url} is not a JSON object")
    return document


def _auth_method(provider: OidcProvider, document: dict[str, Any]) -> str:
    if not provider.client_secret:
        return "none"  # a public client (development only): PKCE alone protects the code
    supported = document.get("token_endpoint_auth_methods_supported") or ["client_secret_basic"]
    return "client_secret_basic" if "client_secret_basic" in supported else "client_secret_post"


def _parse_metadata(provider: OidcProvider, document: dict[str, Any]) -> Metadata:
    # OpenID Connect Discovery, section 4.3: the document must name exactly the issuer it was fetched for.
    if document.get("issuer") != provider.issuer:
        raise ProviderUnavailable(f"discovery names issuer {document.get('issuer')!r}, not {provider.issuer!r}")
    endpoints = {}
    for name in ("authorization_endpoint", "token_endpoint", "jwks_uri"):
        url = document.get(name)
        if not isinstance(url, str) or urlsplit(url).scheme not in ("http", "https"):
            raise ProviderUnavailable(f"discovery has no usable {name}")
        if urlsplit(provider.issuer).scheme == "https" and urlsplit(url).scheme != "https":
            raise ProviderUnavailable(f"discovery's {name} is not https")
        endpoints[name] = url
    offered = document.get("id_token_signing_alg_values_supported") or ["RS256"]
    algorithms = tuple(alg for alg in ASYMMETRIC_ALGORITHMS if alg in offered)
    if not algorithms:
        raise ProviderUnavailable("the provider signs ID tokens with no algorithm we accept")
    return Metadata(**endpoints, algorithms=algorithms, auth_method=_auth_method(provider, document),
                    fetched_at=time.monotonic())


class OidcClient:
    """One configured provider, with its cached discovery document and key set."""

    def __init__(self, provider: OidcProvider) -> None:
        self.provider = provider
        self._metadata: Metadata | None = None
        self._keys: KeySet | None = None
        self._keys_at = 0.0
        self._lock = asyncio.Lock()

    async def metadata(self) -> Metadata:
        cached = self._metadata
        if cached is not None and time.monotonic() - cached.fetched_at < DISCOVERY_MAX_AGE:
            return cached
        async with self._lock:
            if self._metadata is cached:  # nobody refreshed it while we waited
                url = self.provider.issuer.rstrip("/") + "/.well-known/openid-configuration"
                self._metadata = _parse_metadata(self.provider, await _get_json(url))
            assert self._metadata is not None
            return self._metadata

    def _session(self, redirect_uri: str, auth_method: str) -> AsyncOAuth2Client:
        return AsyncOAuth2Client(client_id=self.provider.client_id, client_secret=self.provider.client_secret or None,
                                 token_endpoint_auth_method=auth_method, scope=" ".join(self.provider.scopes),
                                 redirect_uri=redirect_uri, code_challenge_method="S256", timeout=TIMEOUT,
                                 follow_redirects=False)

    async def authorization_url(self, *, redirect_uri: str, state: str, nonce: str, code_verifier: str) -> str:
        metadata = await self.metadata()
        async with self._session(redirect_uri, metadata.auth_method) as session:
            url, _ = session.create_authorization_url(metadata.authorization_endpoint, state=state,
                                                      code_verifier=code_verifier, nonce=nonce)
        return str(url)

    async def redeem(self, *, code: str, redirect_uri: str, code_verifier: str) -> dict[str, Any]:
        """The token endpoint's answer for this authorization code."""
        metadata = await self.metadata()
        try:
            async with self._session(redirect_uri, metadata.auth_method) as session:
                token = await session.fetch_token(metadata.token_endpoint, grant_type="authorization_code",
                                                  code=code, code_verifier=code_verifier)
        except OAuthError as exc:
            raise CodeRejected(str(exc.error)) from exc
        except httpx.HTTPStatusError as exc:
            if exc.response.status_code < 500:
                raise CodeRejected(str(exc.response.status_code)) from exc
            raise ProviderUnavailable(f"token endpoint answered {exc.response.status_code}") from exc
        except (httpx.HTTPError, ValueError) as exc:
            raise ProviderUnavailable(f"token endpoint: {type(exc).__name__}") from exc
        if not isinstance(token.get("id_token"), str):
            raise InvalidIdToken("the token endpoint sent no ID token")
        return dict(token)

    async def _key_set(self, *, refresh: bool = False) -> KeySet:
        if refresh or self._keys is None or time.monotonic() - self._keys_at >= KEYS_MAX_AGE:
            metadata = await self.metadata()
            document = await _get_json(metadata.jwks_uri)
            try:
                self._keys = KeySet.import_key_set(document)  # type: ignore[arg-type]
            except (JoseError, ValueError, KeyError, TypeError) as exc:
                raise ProviderUnavailable(f"unusable key set: {type(exc).__name__}") from exc
            self._keys_at = time.monotonic()
        return self._keys

    async def verify(self, token: dict[str, Any], *, nonce: str) -> ProvenIdentity:
        """Check the ID token's signature, issuer, audience, expiry, nonce (and `at_hash`)."""
        metadata = await self.metadata()
        id_token = token["id_token"]
        try:
            try:
                decoded = jwt.decode(id_token, await self._key_set(), algorithms=metadata.algorithms)
            except (InvalidKeyIdError, BadSignatureError):
                # Maybe signed with a key newer than our copy of the set (a token without a key id is
                # checked against the only key we have): fetch the set again, once.
                decoded = jwt.decode(id_token, await self._key_set(refresh=True), algorithms=metadata.algorithms)
            claims = CodeIDToken(decoded.claims, decoded.header,
                                 options={"iss": {"essential": True, "value": self.provider.issuer},
                                          "aud": {"essential": True, "value": self.provider.client_id},
                                          "sub": {"essential": True}},
                                 params={"nonce": nonce, "client_id": self.provider.client_id,
                                         "access_token": token.get("access_token")})
            claims.validate(leeway=CLOCK_LEEWAY)
        except (JoseError, ValueError) as exc:
            raise InvalidIdToken(str(exc)) from exc
        subject = claims["sub"]
        if not isinstance(subject, str) or not subject or len(subject) > 255:
            raise InvalidIdToken("unusable subject")
        email = _usable_email(claims.get("email"))
        verified = claims.get("email_verified")
        # Some providers send the flag as the string "true"; anything else is not a verified address.
        return ProvenIdentity(issuer=self.provider.issuer, subject=subject, email=email,
                              email_verified=email is not None and (verified is True or verified == "true"))


def _usable_email(value: object) -> str | None:
    if not isinstance(value, str) or not value:
        return None
    try:
        return valid_email(value)
    except PydanticCustomError:
        return None


class OidcClients:
    """The configured providers by name (from MUISTOT_OIDC_PROVIDERS)."""

    def __init__(self, providers: list[OidcProvider]) -> None:
        self._clients = {provider.name: OidcClient(provider) for provider in providers}

    def get(self, name: str) -> OidcClient | None:
        return self._clients.get(name)


async def app_oidc(request: Request) -> OidcClients:
    return request.app.state.oidc  # type: ignore[no-any-return]


OidcDep = Annotated[OidcClients, Depends(app_oidc)]
