"""Response bodies as JSON bytes.

Pydantic builds the JSON-ready values (its serializers decide every field's form, `None` fields left out) and
orjson writes them: for text-heavy bodies, such as site lists whose descriptions run to kilobytes of Finnish,
this is an order of magnitude faster than pydantic's own JSON writer, with the same bytes.
"""

from __future__ import annotations

import orjson
from pydantic import BaseModel


def json_bytes(model: BaseModel) -> bytes:
    return orjson.dumps(model.model_dump(mode="json", exclude_none=True))
