"""Absolute URLs the services hand out: `Location` headers (docs/contract.md, "Transport") and redirects.

Built from the request's own scheme and host, the configured root path (`MUISTOT_ROOT_PATH`, the
prefix the gateway serves the API under and strips before a service sees the request) and the path.
Behind the gateway, uvicorn's proxy-headers support (trusted proxies only) has already put the
forwarded scheme into the request, so nothing here reads `X-Forwarded-*` itself; the prefix comes
from the settings, never from a client header.
"""

from __future__ import annotations

from urllib.parse import quote

from fastapi import Request
from starlette.datastructures import URL, MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send


def root_path(request: Request) -> str:
    """The configured prefix of every public path (`""` or e.g. `/api`, no trailing slash)."""
    settings = getattr(request.app.state, "settings", None)
    return getattr(settings, "root_path", "") or ""


def location(request: Request, *parts: str | int) -> str:
    base = str(request.base_url).rstrip("/") + root_path(request)
    path = "/".join(quote(str(part), safe="") for part in parts)
    return f"{base}/{path}"


def location_header(request: Request, *parts: str | int) -> dict[str, str]:
    return {"Location": location(request, *parts)}


# What Starlette's RedirectResponse lets through unquoted in a `Location`.
_REDIRECT_SAFE = ":/%#?=@[]!$&'()*+,;"


class PrefixedSlashRedirects:
    """Put the root path into Starlette's trailing-slash redirects (`/projects/` → `/projects`).

    The router builds those from the path it was given, which the gateway has already stripped of
    the prefix, so the client would be sent outside the API. Only a 307 to exactly this request's
    URL with its trailing slash toggled is rewritten; every other redirect is left alone.
    """

    def __init__(self, app: ASGIApp, root_path: str) -> None:
        self.app = app
        self.root_path = root_path

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not self.root_path:
            await self.app(scope, receive, send)
            return

        async def send_prefixed(message: Message) -> None:
            if message["type"] == "http.response.start" and message["status"] == 307:
                path: str = scope["path"]
                toggled = path.rstrip("/") if path.endswith("/") else path + "/"
                headers = MutableHeaders(raw=message["headers"])
                if headers.get("location") == _redirect_url(scope, toggled):
                    headers["location"] = _redirect_url(scope, self.root_path + toggled)
            await send(message)

        await self.app(scope, receive, send_prefixed)


def _redirect_url(scope: Scope, path: str) -> str:
    """The `Location` Starlette's router would write for a redirect of this request to `path`."""
    return quote(str(URL(scope={**scope, "path": path})), safe=_REDIRECT_SAFE)
