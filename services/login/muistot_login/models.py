"""Request bodies of the password flows (spec/api-auth-admin.md §1.6, §1.7)."""

from __future__ import annotations

from pydantic import Field, model_validator

from muistot.validation import Body, EmailAddress, Username


class PasswordLogin(Body):
    """Exactly one of `username` or `email`, and the password."""

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
    username: Username
    email: EmailAddress
    password: str = Field(max_length=1024)
