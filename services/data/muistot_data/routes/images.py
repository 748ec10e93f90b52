"""`GET /images/{image}`: immutable files under random names, with long-lived caching."""

from __future__ import annotations

import logging
from pathlib import Path

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response

from muistot.content.ids import ImageNamePath
from muistot.deps import MaybeCaller, StorageDep
from muistot.errors import ApiError
from muistot.images import content_type_of
from muistot.openapi import errors
from muistot.urls import location

log = logging.getLogger("muistot.images")
router = APIRouter(tags=["images"])

STATIC = Path(__file__).resolve().parent.parent / "static"
BUILT_IN = {"placeholder.jpg", "favicon.ico"}
CACHE_FOREVER = "public, max-age=31536000, immutable"


def _etag(name: str) -> str:
    # Stored names are random and their content never changes, so the name identifies the bytes.
    return f'"{name}"'


def _matches(request: Request, etag: str) -> bool:
    header = request.headers.get("if-none-match")
    if not header:
        return False
    tags = {tag.strip().removeprefix("W/") for tag in header.split(",")}
    return etag in tags or "*" in tags


@router.get("/images/{name}", response_class=Response, responses={
    200: {"description": "The image, `image/jpeg` or `image/png` (stored names never change: cache it for good)",
          "content": {kind: {"schema": {"type": "string", "format": "binary"}}
                      for kind in ("image/jpeg", "image/png")}},
    303: {"description": "No such image: to `/images/placeholder.jpg`"},
    304: {"description": "`If-None-Match` names this image's `ETag`"},
    **errors((503, "Image storage unavailable", "Lost Connection to Redis"))})
async def get_image(request: Request, name: ImageNamePath, storage: StorageDep, _caller: MaybeCaller) -> Response:
    """Anyone may fetch an image; a present but invalid token is still a 401, as everywhere."""
    etag = _etag(name)
    headers = {"Cache-Control": CACHE_FOREVER, "ETag": etag}
    if name in BUILT_IN:
        if _matches(request, etag):
            return Response(status_code=304, headers=headers)
        return Response((STATIC / name).read_bytes(), media_type=content_type_of(name), headers=headers)
    try:
        if _matches(request, etag) and await storage.exists(name):
            return Response(status_code=304, headers=headers)
        data = await storage.get(name)
    except Exception as exc:  # S3 or disk out of reach: a clean 503, never a 500
        log.warning("image storage unavailable: %s", type(exc).__name__)
        raise ApiError(503, "Image storage unavailable", headers={"Retry-After": "5"}) from None
    if data is None:
        return RedirectResponse(location(request, "images", "placeholder.jpg"), status_code=303)
    return Response(data, media_type=content_type_of(name), headers=headers)
