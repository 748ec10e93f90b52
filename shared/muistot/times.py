"""Times on the wire: RFC 3339 in UTC with a `Z`, e.g. `"2026-12-01T20:07:43Z"` (docs/api.md, "Times").

The database keeps naive UTC values (`muistot.db.engine.utcnow`); a browser reads a time without a zone as
local time, so every time an answer carries names its zone. Inputs keep accepting what they accepted
before: with an offset (converted to UTC) or without one (taken as UTC).
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

from pydantic import PlainSerializer, WithJsonSchema


def rfc3339(value: dt.datetime) -> str:
    """`value` in UTC as RFC 3339 with `Z`; a naive value is UTC already (as stored)."""
    if value.tzinfo is not None:
        value = value.astimezone(dt.UTC).replace(tzinfo=None)
    return value.isoformat() + "Z"


def from_timestamp(seconds: float) -> str:
    """A Unix time (as sessions keep them) in the same form, to the second."""
    return rfc3339(dt.datetime.fromtimestamp(int(seconds), dt.UTC))


def with_utc_times(value: Any) -> Any:
    """`value` with every datetime inside dicts and lists written by `rfc3339` (dates stay dates)."""
    if isinstance(value, dt.datetime):
        return rfc3339(value)
    if isinstance(value, dict):
        return {key: with_utc_times(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [with_utc_times(item) for item in value]
    return value


# The type of every time in an output model: serialised by `rfc3339`, documented as a date-time.
UtcDateTime = Annotated[
    dt.datetime,
    PlainSerializer(rfc3339, return_type=str, when_used="json"),
    WithJsonSchema({"type": "string", "format": "date-time", "examples": ["2026-12-01T20:07:43Z"]},
                   mode="serialization"),
]
