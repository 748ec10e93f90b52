"""The "order" body of `POST /admin/publish` and `POST /report` (api-auth-admin.md §5.1).

Unlike the original, memory and comment ids of any size are accepted: ids are validated by the
order's type (strings for projects and sites, positive integers for memories and comments) instead
of trying the string types first, which turned ids of 1000 and more into strings and refused them.
Ids arrive as any JSON value, so that every wrong one (a float, a list, null) is the contract's
"Wrong type for <field>" rather than a framework error per member of a type union.
"""

from __future__ import annotations

import re
from typing import Annotated, Any, Literal

from pydantic import StringConstraints, WithJsonSchema, model_validator

from muistot.content.ids import PID_PATTERN
from muistot.openapi import examples
from muistot.validation import Body

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
        elif self.parents is None:  # no parents at all; an empty object is a count of zero (§5.1)
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
