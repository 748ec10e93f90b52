"""The router every contributor write of the data service is mounted on (the writes go through `muistot.write`)."""

from __future__ import annotations

from fastapi import APIRouter


def write_router(tag: str) -> APIRouter:
    """A router of contributor writes. Like the original, it reads a body sent without a Content-Type
    as JSON (docs/api.md, "Requests"); a bearer header, not a cookie, authenticates, so this opens no
    cross-site posts."""
    return APIRouter(tags=[tag], strict_content_type=False)
