"""`GET /` and `GET /languages` (spec/api-data.md §5)."""

from __future__ import annotations

from typing import Annotated

import pycountry
from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse

from muistot.auth import MaybeUser
from muistot.content.urls import location
from muistot.errors import ApiError
from muistot.openapi import errors

router = APIRouter(tags=["common"])


@router.get("/", response_class=HTMLResponse)
async def get_index(request: Request, _: MaybeUser) -> HTMLResponse:
    """A minimal liveness page whose icon is served by the image endpoint."""
    icon = location(request, "images", "favicon.ico")
    return HTMLResponse(f'<!doctype html><html><head><title>Muistot</title><link rel="icon" href="{icon}"></head>'
                        "<body>Muistot</body></html>")


@router.get("/languages", response_model_exclude_none=True, responses=errors((404, "Language not found")))
async def get_language(q: Annotated[str, Query(pattern=r"^[a-z]{2,3}$")], _: MaybeUser) -> dict[str, str]:
    """Look up an ISO 639 language by its 2- or 3-letter code."""
    found = pycountry.languages.get(alpha_2=q) if len(q) == 2 else pycountry.languages.get(alpha_3=q)
    if found is None:
        raise ApiError(404, "Language not found")
    result = {"id": found.alpha_3, "name": found.name, "alpha_3": found.alpha_3}
    if getattr(found, "alpha_2", None):
        result["alpha_2"] = found.alpha_2
    return result
