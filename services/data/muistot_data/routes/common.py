"""`GET /` and `GET /languages`."""

from __future__ import annotations

from typing import Annotated

import pycountry
from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse
from pydantic import BaseModel, Field

from muistot.deps import MaybeCaller
from muistot.errors import ApiError
from muistot.openapi import errors, examples
from muistot.urls import location

router = APIRouter(tags=["common"])


@router.get("/", response_class=HTMLResponse)
async def get_index(request: Request, _caller: MaybeCaller) -> HTMLResponse:
    """A minimal liveness page whose icon is served by the image endpoint."""
    icon = location(request, "images", "favicon.ico")
    return HTMLResponse(f'<!doctype html><html><head><title>Muistot</title><link rel="icon" href="{icon}"></head>'
                        "<body>Muistot</body></html>")


class Language(BaseModel):
    model_config = examples({"id": "fin", "name": "Finnish", "alpha_3": "fin", "alpha_2": "fi"})

    id: str = Field(description="The ISO 639-3 code")
    name: str = Field(description="The English name")
    alpha_3: str
    alpha_2: str | None = Field(default=None, description="The ISO 639-1 code, when the language has one")


@router.get("/languages", response_model=Language, response_model_exclude_none=True,
            responses=errors((404, "Language not found")))
async def get_language(q: Annotated[str, Query(pattern=r"^[a-z]{2,3}$")], _caller: MaybeCaller) -> Language:
    """Look up an ISO 639 language by its 2- or 3-letter code."""
    found = pycountry.languages.get(alpha_2=q) if len(q) == 2 else pycountry.languages.get(alpha_3=q)
    if found is None:
        raise ApiError(404, "Language not found")
    return Language(id=found.alpha_3, name=found.name, alpha_3=found.alpha_3, alpha_2=getattr(found, "alpha_2", None))
