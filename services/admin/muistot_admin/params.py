"""Query parameter types of the admin endpoints (path ids come from `muistot.content.ids`)."""

from __future__ import annotations

from typing import Annotated

from fastapi import Query

from muistot.validation import Username as ValidUsername

Username = Annotated[ValidUsername, Query(description="An existing username (4-64 characters)")]
PublishFlag = Annotated[bool, Query(description="true/false, 1/0, yes/no, on/off, t/f or y/n (any case)")]
