"""Bodies of `POST /projects` (NewProject) and `PATCH /projects/{p}` (ModifiedProject), api-data.md §6.1.

Unknown fields are ignored (§0.1). In a PATCH an absent field means "unchanged" and an explicit
`null` means "clear" where the contract allows it.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Annotated, Any

from pydantic import BeforeValidator, Field, field_validator, model_validator

from muistot.content.ids import PID, UID
from muistot.content.language import LangCode
from muistot.content.texts import IMAGE, InfoBody, Input
from muistot.openapi import examples
from muistot.text import fold
from muistot.validation import EmailAddress

_DATE_ONLY = re.compile(r"^\s*\d{4}-\d{2}-\d{2}\s*$")


def _needs_time(value: Any) -> Any:
    # pydantic reads "2022-01-01" as midnight; the contract refuses a date without a time (§0.5).
    if isinstance(value, str) and _DATE_ONLY.match(value):
        raise ValueError("Datetime requires a time part")
    return value


def to_utc(value: datetime | None) -> datetime | None:
    """Times are stored in UTC without a zone; a naive input is taken as UTC already."""
    if value is None or value.tzinfo is None:
        return value
    return value.astimezone(UTC).replace(tzinfo=None)


DateTime = Annotated[datetime, BeforeValidator(_needs_time)]


class ProjectContact(Input):
    contact_email: EmailAddress | None = None
    has_research_permit: bool
    can_contact: bool


class NewProject(Input):
    """Times take an offset (`+02:00`, converted to UTC) or none (UTC); a date alone is 422."""

    model_config = examples({"id": "helsinki-1952", "info": {"lang": "fi", "name": "Helsingin olympiakesä 1952",
                                                           "abstract": "Muistoja kisakesästä."},
                             "starts": "2026-05-01T00:00:00+03:00", "admins": ["museo-helsinki"],
                             "contact": {"contact_email": "kokoelmat@museo.example.fi", "has_research_permit": True,
                                         "can_contact": True}})

    id: PID
    info: InfoBody
    image: IMAGE | None = None
    starts: DateTime | None = None
    ends: DateTime | None = None
    admins: list[UID] = Field(default_factory=list)
    contact: ProjectContact | None = None
    admin_posting: bool = False
    auto_publish: bool = False

    @field_validator("admins")
    @classmethod
    def _no_duplicates(cls, value: list[str]) -> list[str]:
        if len({fold(name) for name in value}) != len(value):
            raise ValueError("Duplicate admins")
        return value

    @model_validator(mode="after")
    def _ends_after_start(self) -> NewProject:
        starts, ends = to_utc(self.starts), to_utc(self.ends)
        if starts is not None and ends is not None and ends < starts:
            raise ValueError("Project end before start")
        return self


class ModifiedProject(Input):
    model_config = examples({"info": {"lang": "en", "name": "Helsinki's Olympic summer 1952",
                                      "abstract": "Memories of the Games."}}, {"auto_publish": True})

    image: IMAGE | None = None
    starts: DateTime | None = None
    ends: DateTime | None = None
    contact: ProjectContact | None = None
    info: InfoBody | None = None
    default_language: LangCode | None = None  # may be absent, never null
    auto_publish: bool | None = None  # may be absent, never null
    admin_posting: bool | None = None  # may be absent, never null

    @field_validator("default_language", mode="before")
    @classmethod
    def _language_case_insensitive(cls, value: Any) -> Any:
        if value is None:
            raise ValueError("Requires non null language")
        return value.lower() if isinstance(value, str) else value

    @field_validator("auto_publish", "admin_posting", mode="before")
    @classmethod
    def _flags_not_null(cls, value: Any) -> Any:
        if value is None:
            raise ValueError("Requires a boolean")
        return value
