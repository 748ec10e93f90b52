"""Absolute `Location` URLs (spec/api-data.md §0.1).

Built from the request's own scheme, host and root path. Behind the gateway, uvicorn's proxy-headers
support (trusted proxies only) has already put the forwarded scheme into the request, so nothing
here reads `X-Forwarded-*` itself.
"""

from __future__ import annotations

from urllib.parse import quote

from fastapi import Request


def location(request: Request, *parts: str | int) -> str:
    base = str(request.base_url).rstrip("/")
    path = "/".join(quote(str(part), safe="") for part in parts)
    return f"{base}/{path}"


def location_header(request: Request, *parts: str | int) -> dict[str, str]:
    return {"Location": location(request, *parts)}
