"""OpenID Connect providers people may sign in with (`MUISTOT_OIDC_PROVIDERS`, a JSON list).

    [{"name": "keycloak", "issuer": "https://id.example.org/realms/museo", "client_id": "muistot",
      "client_secret": "…", "label": "Museo staff", "scopes": ["openid", "email", "profile"]}]

`name` is the provider's part of our URLs (`/auth/oauth/{name}`); `issuer` must be exactly the
provider's issuer identifier (its discovery document and ID tokens name it).
"""

from __future__ import annotations

import ipaddress
import json
from typing import Any
from urllib.parse import urlsplit

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

# `/auth/oauth/exchange` is our own endpoint, so no provider may be called that.
RESERVED_NAMES = frozenset({"exchange"})
DEFAULT_SCOPES = ("openid", "email", "profile")


class OidcProvider(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str = Field(pattern=r"^[a-z0-9][a-z0-9_-]{0,31}$")
    issuer: str = Field(min_length=1, max_length=255)
    client_id: str = Field(min_length=1, max_length=255)
    client_secret: str = Field("", max_length=1024, repr=False)
    label: str = Field("", max_length=100)
    scopes: tuple[str, ...] = DEFAULT_SCOPES

    @field_validator("name")
    @classmethod
    def _not_reserved(cls, value: str) -> str:
        if value in RESERVED_NAMES:
            raise ValueError(f"{value!r} is reserved")
        return value

    @field_validator("issuer")
    @classmethod
    def _issuer_url(cls, value: str) -> str:
        url = urlsplit(value.strip())
        if url.scheme not in ("http", "https") or not url.hostname or url.query or url.fragment:
            raise ValueError("issuer must be an http(s) URL without query or fragment")
        return value.strip()

    @field_validator("scopes")
    @classmethod
    def _with_openid(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        if any(not scope or " " in scope for scope in value):
            raise ValueError("scopes must be non-empty words")
        # Without `openid` the provider would answer as plain OAuth 2.0, with no ID token.
        return value if "openid" in value else ("openid", *value)

    @model_validator(mode="after")
    def _label_defaults_to_name(self) -> OidcProvider:
        if not self.label:
            object.__setattr__(self, "label", self.name)
        return self

    @property
    def loopback_issuer(self) -> bool:
        host = urlsplit(self.issuer).hostname or ""
        if host == "localhost":
            return True
        try:
            return ipaddress.ip_address(host).is_loopback
        except ValueError:
            return False


def parse_providers(value: Any) -> Any:
    """The setting arrives as JSON text from the environment; names and issuers must be unique."""
    if isinstance(value, str):
        value = json.loads(value) if value.strip() else []
    return value


def check_unique(providers: list[OidcProvider]) -> list[OidcProvider]:
    for attribute in ("name", "issuer"):
        seen = [getattr(provider, attribute) for provider in providers]
        duplicates = sorted({item for item in seen if seen.count(item) > 1})
        if duplicates:
            raise ValueError(f"two providers have the same {attribute}: {', '.join(duplicates)}")
    return providers


def production_problem(provider: OidcProvider, looks_published: Any) -> str | None:
    """Why production refuses this provider, or None."""
    if not provider.client_secret:
        return f"provider {provider.name!r} has no client_secret"
    if looks_published(provider.client_secret):
        return f"provider {provider.name!r} has an example or placeholder client_secret"
    if urlsplit(provider.issuer).scheme != "https" and not provider.loopback_issuer:
        return f"provider {provider.name!r} has a plain-HTTP issuer (only loopback addresses may use http)"
    return None
