"""Small pieces every admin route uses: the signed-in check and the "nothing changed" answer."""

from __future__ import annotations

from fastapi import Response

from muistot.errors import ApiError
from muistot.identity import Principal


def signed_in(user: Principal | None) -> Principal:
    """401 for anonymous callers. Called inside handlers so that a bad request is a 422 first (§1.3)."""
    if user is None:
        raise ApiError(401, "Unauthorized")
    return user


def unchanged() -> Response:
    """The contract's "valid but nothing changed" answer: 304 with an empty body."""
    return Response(status_code=304)
