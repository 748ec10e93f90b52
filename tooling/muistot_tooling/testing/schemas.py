"""Checks that an answer is exactly what the model its OpenAPI document names describes."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel


def assert_described_by(model: type[BaseModel], body: Any) -> None:
    """The body validates, and nothing of it is lost on the way back: no field the model does not know (the
    document would hide it from generated clients), none of another form."""
    assert model.model_validate(body).model_dump(mode="json", exclude_unset=True) == body
