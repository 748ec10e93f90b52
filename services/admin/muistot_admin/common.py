"""Small pieces every admin route uses: the "nothing changed" answer."""

from __future__ import annotations

from fastapi import Response


def unchanged() -> Response:
    """The contract's "valid but nothing changed" answer: 304 with an empty body."""
    return Response(status_code=304)
