"""Answers without a body: what every write route of every service sends back."""

from __future__ import annotations

from fastapi.responses import Response


def no_content(status: int = 204, location: str | None = None) -> Response:
    """Write answers (201, 204, 304) carry no body (docs/contract.md, "Transport"); 304 means valid but
    nothing changed."""
    return Response(status_code=status, headers={"Location": location} if location else None)
