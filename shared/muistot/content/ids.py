"""Identifier types of the contract (docs/contract.md, "Identifiers and texts") for paths, queries and bodies.

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
    """Leading and trailing whitespace is removed before any check (docs/contract.md, "Identifiers and texts")."""
    return value.strip() if isinstance(value, str) else value


def is_pid(value: str) -> bool:
    return re.fullmatch(PID_PATTERN, value) is not None


def in_db_range(value: int) -> bool:
    """False for ids no row can have; callers answer 404 without asking the database."""
    return 0 < value <= MAX_DB_ID


# The constraint comes before the stripping validator in each type so that it shows in the OpenAPI schema; the
# validator still runs first (a before-validator wraps everything to its left).
PID_DOC = "4–250 letters, digits, `-` and `_`; matched case- and accent-insensitively, returned as stored"

# Body fields.
PID = Annotated[str, StringConstraints(pattern=PID_PATTERN), BeforeValidator(strip_text)]
SID = Annotated[str, StringConstraints(pattern=SID_PATTERN), BeforeValidator(strip_text)]
UID = Annotated[str, StringConstraints(pattern=UID_PATTERN), BeforeValidator(strip_text)]
MID = Annotated[int, Field(gt=0)]
CID = Annotated[int, Field(gt=0)]

# Path parameters, named as in the contract's URLs (`loc: ["path", "project"]`).
ProjectPath = Annotated[str, Path(pattern=PID_PATTERN, description=f"Project id: {PID_DOC}",
                                  examples=["helsinki-1952"]), BeforeValidator(strip_text)]
SitePath = Annotated[str, Path(pattern=SID_PATTERN, description=f"Site id within the project: {PID_DOC}",
                               examples=["olympiastadion"]), BeforeValidator(strip_text)]
MemoryPath = Annotated[int, Path(gt=0, description="Memory id", examples=[57])]
CommentPath = Annotated[int, Path(gt=0, description="Comment id", examples=[20])]
ImageNamePath = Annotated[str, Path(pattern=IMAGE_NAME_PATTERN, description="An `image` value of an answer",
                                    examples=["1dc15d85-8433-11ec-8f55-0242ac140005.jpg"])]
