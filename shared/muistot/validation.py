"""Validators for values every service accepts the same way: usernames, e-mail addresses, and text.

Use the annotated types in pydantic models and FastAPI parameters (`username: Username = Query()`),
or the plain functions elsewhere. Failures become the contract's 422 with a message without prefix.

Every request body model derives from `Body`: no text anywhere in it may hold a control character
(C0, DEL or C1) other than tab, line feed and carriage return. An ESC in a title would otherwise be
stored and replayed into every terminal, log viewer and CSV export that shows it. Free text taken
from a query string uses `PlainText` for the same rule.
"""

from __future__ import annotations

import re
from typing import Annotated, Any

from email_validator import EmailNotValidError, validate_email
from pydantic import AfterValidator, BaseModel, ConfigDict, field_validator
from pydantic_core import PydanticCustomError

# 4–64 characters of ASCII letters, digits, `- _ @ . : #`, space and äöåÄÖÅ (docs/contract.md, "Identifiers and texts").
USERNAME_RE = re.compile(r"^[A-Za-z0-9\-_@.:# äöåÄÖÅ]{4,64}$")
EMAIL_MAX_LENGTH = 255
# C0 controls but tab, LF and CR; DEL; C1 controls.
CONTROL_CHARACTERS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")
CONTROL_MESSAGE = "text may not contain control characters (other than tab and line breaks)"


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


def no_control_characters(value: str) -> str:
    if CONTROL_CHARACTERS.search(value):
        raise PydanticCustomError("value_error.control_character", CONTROL_MESSAGE)
    return value


def _refuse_controls_in(value: Any) -> None:
    if isinstance(value, str):
        no_control_characters(value)
    elif isinstance(value, list | tuple | set | frozenset):
        for item in value:
            _refuse_controls_in(item)
    elif isinstance(value, dict):
        for key, item in value.items():
            _refuse_controls_in(key)
            _refuse_controls_in(item)


PlainText = Annotated[str, AfterValidator(no_control_characters)]


class Body(BaseModel):
    """A request body: unknown fields are ignored, and no text in it may hold a control character."""

    model_config = ConfigDict(extra="ignore")

    @field_validator("*", mode="after")
    @classmethod
    def _no_control_characters(cls, value: Any) -> Any:
        _refuse_controls_in(value)  # nested bodies have checked their own fields
        return value
