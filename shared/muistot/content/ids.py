"""Identifier types of the contract (spec/api-data.md §0.2) for paths, queries and bodies.

Project and site ids are strings matched case- and accent-insensitively (through `muistot.text.fold`);
memory and comment ids are positive integers of any size: ids beyond the database's range simply do
not exist (`in_db_range`), they are not a validation error.
"""

from __future__ import annotations

import re
from typing import Annotated, Any

from fastapi import Path
from pydantic import BeforeValidator, Field, StringConstraints

PID_PATTERN = r"^[A-Za-z0-9_-]{4,250}$"
SID_PATTERN = PID_PATTERN
UID_PATTERN = r"^[A-Za-z0-9\-_@.:# äöåÄÖÅ]{4,64}$"
IMAGE_NAME_PATTERN = r"^[a-zA-Z0-9_-]{1,36}(\.[a-zA-Z0-9]{1,10})?$"
MAX_DB_ID = 2**63 - 1  # BIGINT


def strip_text(value: Any) -> Any:
    """Leading and trailing whitespace is removed before any check (§0.2, §0.3)."""
    return value.strip() if isinstance(value, str) else value


def is_pid(value: str) -> bool:
    return re.fullmatch(PID_PATTERN, value) is not None


def in_db_range(value: int) -> bool:
    """False for ids no row can have; callers answer 404 without asking the database."""
    return 0 < value <= MAX_DB_ID


# Body fields.
PID = Annotated[str, BeforeValidator(strip_text), StringConstraints(pattern=PID_PATTERN)]
SID = Annotated[str, BeforeValidator(strip_text), StringConstraints(pattern=SID_PATTERN)]
UID = Annotated[str, BeforeValidator(strip_text), StringConstraints(pattern=UID_PATTERN)]
MID = Annotated[int, Field(gt=0)]
CID = Annotated[int, Field(gt=0)]

# Path parameters, named as in the contract's URLs (`loc: ["path", "project"]`).
ProjectPath = Annotated[str, BeforeValidator(strip_text), Path(pattern=PID_PATTERN)]
SitePath = Annotated[str, BeforeValidator(strip_text), Path(pattern=SID_PATTERN)]
MemoryPath = Annotated[int, Path(gt=0)]
CommentPath = Annotated[int, Path(gt=0)]
ImageNamePath = Annotated[str, Path(pattern=IMAGE_NAME_PATTERN)]
