"""Validators for values every service accepts the same way: usernames and e-mail addresses.

Use the annotated types in pydantic models and FastAPI parameters (`username: Username = Query()`),
or the plain functions elsewhere. Failures become the contract's 422 with a message without prefix.
"""

from __future__ import annotations

import re
from typing import Annotated

from email_validator import EmailNotValidError, validate_email
from pydantic import AfterValidator
from pydantic_core import PydanticCustomError

# 4–64 characters of ASCII letters, digits, `- _ @ . : #`, space and äöåÄÖÅ (spec/api-auth-admin.md §4.1).
USERNAME_RE = re.compile(r"^[A-Za-z0-9\-_@.:# äöåÄÖÅ]{4,64}$")
EMAIL_MAX_LENGTH = 255


def valid_username(value: str) -> str:
    """The username trimmed, or a validation error."""
    value = value.strip()
    if not USERNAME_RE.fullmatch(value):
        raise PydanticCustomError(
            "value_error.username",
            "username must be 4-64 characters of letters, digits, spaces and - _ @ . : #")
    return value


def is_valid_username(value: str) -> bool:
    return bool(USERNAME_RE.fullmatch(value.strip()))


def valid_email(value: str) -> str:
    """The address with its domain lower-cased (local part kept); `Name <a@b.c>` is reduced to `a@b.c`."""
    try:
        result = validate_email(value.strip(), check_deliverability=False, allow_display_name=True)
    except EmailNotValidError:
        raise PydanticCustomError("value_error.email", "value is not a valid email address") from None
    if len(result.normalized) > EMAIL_MAX_LENGTH:
        raise PydanticCustomError("value_error.email", "value is not a valid email address")
    return result.normalized


Username = Annotated[str, AfterValidator(valid_username)]
EmailAddress = Annotated[str, AfterValidator(valid_email)]
