"""Text field types of the contract (spec/api-data.md §0.3): trimmed, then length-checked."""

from __future__ import annotations

from typing import Annotated

from pydantic import BeforeValidator, StringConstraints

from muistot.content.ids import strip_text


def _text(max_length: int) -> type[str]:
    return Annotated[str, BeforeValidator(strip_text), StringConstraints(max_length=max_length)]  # type: ignore[return-value]


NAME = _text(200)
TEXT = _text(20_000)
LONG_TEXT = _text(100_000)
SMALL_TEXT = _text(2_500)
# An uploaded image: base64 (optionally with a data: prefix); checked by decoding (muistot.images).
IMAGE = Annotated[str, BeforeValidator(strip_text), StringConstraints(min_length=1)]
