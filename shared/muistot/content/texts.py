"""Text field types of the contract (docs/contract.md, "Identifiers and texts"): trimmed, then length-checked; control
characters other than tab and line breaks are refused (`muistot.validation.Body`).

Trimming and the length check run in pydantic's own string validation, which also refuses text that
is not Unicode (a lone surrogate such as `"\\ud800"` is legal JSON but no UTF-8 column can hold it).
"""

from __future__ import annotations

from typing import Annotated

from pydantic import Field, StringConstraints

from muistot.content.language import LangCode
from muistot.validation import Body


def _text(max_length: int) -> type[str]:
    return Annotated[str, StringConstraints(strip_whitespace=True, max_length=max_length)]  # type: ignore[return-value]


NAME = _text(200)
TEXT = _text(20_000)
LONG_TEXT = _text(100_000)
SMALL_TEXT = _text(2_500)
# An uploaded image: base64 (optionally with a data: prefix); checked by decoding (muistot.images).
IMAGE = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1), Field(
    description="A JPEG or PNG (the formats of MUISTOT_IMAGE_TYPES; others, GIF included, are 400 \"Bad image\"), "
                "as standard base64, optionally behind `data:image/<type>;base64,`. The format is read from the "
                "content, not a name. At most MUISTOT_MAX_IMAGE_BYTES decoded (10 MiB) and MUISTOT_MAX_IMAGE_PIXELS "
                "pixels (25 million), else 413; stored re-encoded without EXIF.",
    json_schema_extra={"contentEncoding": "base64"},
    examples=["data:image/png;base64,iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR4nGP4z8DwHwAFAAH/q842"
              "iQAAAABJRU5ErkJggg=="])]


class Input(Body):
    """A request body: unknown fields are ignored (docs/contract.md, "Transport"), control characters refused
    in every text; `sent()` tells absent from explicit null (PATCH)."""

    def sent(self, name: str) -> bool:
        return name in self.model_fields_set


class InfoBody(Input):
    """The per-language texts of a project or a site (ProjectInfo / SiteInfo in docs/openapi.json)."""

    lang: LangCode
    name: NAME
    abstract: TEXT | None = None
    description: LONG_TEXT | None = None
