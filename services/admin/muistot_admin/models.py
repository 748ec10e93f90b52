"""Bodies of the admin service: orders (`POST /admin/publish`, `POST /report`), projects
(`POST /projects`, `PATCH /projects/{p}`) and queue decisions.

Orders: unlike the original, memory and comment ids of any size are accepted: ids are validated by the
order's type (strings for projects and sites, positive integers for memories and comments) instead
of trying the string types first, which turned ids of 1000 and more into strings and refused them.
Ids arrive as any JSON value, so that every wrong one (a float, a list, null) is the contract's
"Wrong type for <field>" rather than a framework error per member of a type union.

Projects: unknown fields are ignored (docs/api.md, "Requests"). In a PATCH an absent field means "unchanged" and an
explicit `null` means "clear" where the contract allows it.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Annotated, Any, Literal

from pydantic import BeforeValidator, Field, StringConstraints, WithJsonSchema, field_validator, model_validator

from muistot.content.ids import PID, PID_PATTERN, UID
from muistot.content.language import LangCode
from muistot.content.texts import IMAGE, InfoBody, Input
from muistot.openapi import examples
from muistot.text import fold
from muistot.validation import Body, EmailAddress

PARENTS: dict[str, tuple[str, ...]] = {
    "project": (),
    "site": ("project",),
    "memory": ("project", "site"),
    "comment": ("project", "site", "memory"),
}
STRING_IDS = ("project", "site")
# A PID/SID string or a MID/CID integer; any JSON value is taken, `Order` checks it against the type.
AnyId = Annotated[Any, WithJsonSchema({"anyOf": [{"type": "string"}, {"type": "integer", "minimum": 1}]})]
# Why something was reported or rejected; blank means no reason.
Reason = Annotated[str, StringConstraints(strip_whitespace=True, max_length=1000)] | None


def _valid_name(value: object) -> bool:
    return isinstance(value, str) and re.fullmatch(PID_PATTERN, value.strip()) is not None


def _valid_number(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value > 0


def _valid(kind: str, value: object) -> bool:
    return _valid_name(value) if kind in STRING_IDS else _valid_number(value)


def _clean(value: str | int) -> str | int:
    return value.strip() if isinstance(value, str) else value


class Order(Body):
    """What to publish or report: the item's type, its id and the ids of its parents."""

    model_config = examples({"type": "memory", "identifier": 57,
                             "parents": {"project": "helsinki-1952", "site": "olympiastadion"}, "publish": False})

    type: Literal["project", "site", "memory", "comment"]
    identifier: AnyId
    parents: dict[str, AnyId] | None = None
    publish: bool = True

    @model_validator(mode="after")
    def _check_composition(self) -> Order:
        expected = PARENTS[self.type]
        given = self.parents or {}
        if self.type == "project":
            if given:
                raise ValueError("Incorrect parent count")
        # No parents at all; an empty object is a count of zero (docs/contract.md, "Moderation orders").
        elif self.parents is None:
            raise ValueError("Bad parents")
        elif len(given) != len(expected):
            raise ValueError("Incorrect parent count")
        elif set(given) != set(expected):
            raise ValueError("Bad parents")
        if not _valid(self.type, self.identifier):
            raise ValueError("Wrong type for identifier")
        for kind in expected:
            if not _valid(kind, given[kind]):
                raise ValueError(f"Wrong type for {kind}")
        self.identifier = _clean(self.identifier)
        self.parents = {kind: _clean(given[kind]) for kind in expected}
        return self

    @property
    def project(self) -> str:
        return str(self.identifier if self.type == "project" else (self.parents or {})["project"])

    def chain(self) -> dict[str, str | int]:
        """Every element of the chain by kind, the target included."""
        return {**(self.parents or {}), self.type: self.identifier}


class ReportOrder(Order):
    """`POST /report` takes the same order plus an optional reason."""

    model_config = examples({"type": "comment", "identifier": 20, "reason": "Asiaton kommentti",
                             "parents": {"project": "helsinki-1952", "site": "olympiastadion", "memory": 57}})

    reason: Reason = None


class ReportBody(Body):
    """Optional body of `PUT …/report`."""

    reason: Reason = None


_DATE_ONLY = re.compile(r"^\s*\d{4}-\d{2}-\d{2}\s*$")


def _needs_time(value: Any) -> Any:
    # pydantic reads "2022-01-01" as midnight; the contract refuses a date without a time (docs/api.md, "Times").
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


Action = Literal["approve", "reject", "clear_reports"]


class Decision(Body):
    """approve, reject (with a reason mailed to the author) or clear_reports."""

    model_config = examples({"action": "reject", "reason": "Kirjoitus ei liity paikkaan."}, {"action": "approve"})

    action: Action
    reason: Reason = None
