"""Request and answer bodies of the login flows (docs/sign-in.md)."""

from __future__ import annotations

from pydantic import BaseModel, Field, model_validator

from muistot.openapi import examples
from muistot.validation import Body, EmailAddress, Username


class PasswordLogin(Body):
    """Exactly one of `username` or `email`, and the password."""

    model_config = examples({"email": "aino@example.fi", "password": "kesä-1952-kisat"},
                            {"username": "Mummo-Aino", "password": "kesä-1952-kisat"})

    username: str | None = Field(None, max_length=255)
    email: EmailAddress | None = None
    password: str = Field(max_length=1024)

    @model_validator(mode="after")
    def _one_identifier(self) -> PasswordLogin:
        if self.username is None and self.email is None:
            raise ValueError("Identifier Required")
        if self.username is not None and self.email is not None:
            raise ValueError("Only one identifier allowed")
        return self


class Registration(Body):
    model_config = examples({"username": "Mummo-Aino", "email": "aino@example.fi", "password": "kesä-1952-kisat"})

    username: Username
    email: EmailAddress
    password: str = Field(max_length=1024)


class ProviderInfo(BaseModel):
    name: str
    label: str


class ProviderList(BaseModel):
    """`GET /auth/oauth`: the contract's list of names, and each provider's label for a sign-in button."""

    model_config = examples({"oauth_providers": ["keycloak"], "providers": [{"name": "keycloak",
                                                                             "label": "Museo staff"}]})

    oauth_providers: list[str]
    providers: list[ProviderInfo]


class ProviderCodeExchange(Body):
    """`POST /auth/oauth/exchange`: the one-time code from the `#oauth-login:code=…` redirect."""

    model_config = examples({"code": "q8Xr2kq0hQ9y3m1W0fJfQ3bq0Zk5w7nD"})

    code: str = Field(min_length=1, max_length=128)
