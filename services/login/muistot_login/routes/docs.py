"""The gateway's `/docs` (offline Swagger UI over the four services' specs) and `/ready` aggregate.

`GET /docs` and its assets come from the `swagger_ui_bundle` package (no CDN). Each service's
schema is fetched from the service itself at `GET /openapi/{service}.json`. The page names its
assets and specs under `MUISTOT_ROOT_PATH`, where the gateway serves them. The gateway maps its
`/ready` here to `/_internal/ready-all`: 200 only when every service has an instance whose `/ready` is 200.
"""

from __future__ import annotations

import asyncio
import html
import json
import logging
from pathlib import Path
from typing import Any

import httpx
from fastapi import APIRouter, Request
from fastapi.responses import FileResponse, HTMLResponse, JSONResponse, Response

from muistot.app import readiness
from muistot.deps import SettingsDep
from muistot.errors import ApiError, error_response
from muistot.settings import SERVICES, Settings
from muistot.upstreams import service_urls
from muistot.urls import root_path

router = APIRouter(include_in_schema=False)

ASSETS = {
    "swagger-ui.css": "text/css",
    "swagger-ui-bundle.js": "text/javascript",
    "swagger-ui-standalone-preset.js": "text/javascript",
    "favicon-32x32.png": "image/png",
    "favicon-16x16.png": "image/png",
    "oauth2-redirect.html": "text/html",
    "oauth2-redirect.js": "text/javascript",
}
TIMEOUT = httpx.Timeout(3.0)
THIS_SERVICE = "login"  # these routes are the login service's own
# httpx logs every request at INFO; the access lines of the services already say it.
logging.getLogger("httpx").setLevel(logging.WARNING)


def swagger_ui_dir() -> Path:
    import swagger_ui_bundle

    return Path(str(swagger_ui_bundle.swagger_ui_path))


def docs_page(title: str, root: str = "") -> str:
    """The Swagger UI page; `root` is the gateway's path prefix (`""` or e.g. `/api`)."""
    urls = [{"url": f"{root}/openapi/{name}.json", "name": name} for name in SERVICES]
    config = {"urls": urls, "urls.primaryName": "data", "dom_id": "#swagger-ui", "deepLinking": True,
              "layout": "StandaloneLayout", "persistAuthorization": True}
    return f"""<!doctype html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <title>{html.escape(title)}</title>
  <link rel="stylesheet" href="{html.escape(root)}/docs/swagger-ui.css">
  <link rel="icon" type="image/png" href="{html.escape(root)}/docs/favicon-32x32.png" sizes="32x32">
</head>
<body>
  <div id="swagger-ui"></div>
  <script src="{html.escape(root)}/docs/swagger-ui-bundle.js"></script>
  <script src="{html.escape(root)}/docs/swagger-ui-standalone-preset.js"></script>
  <script>
    const config = {json.dumps(config)};
    window.onload = () => {{
      window.ui = SwaggerUIBundle(Object.assign(config, {{
        presets: [SwaggerUIBundle.presets.apis, SwaggerUIStandalonePreset],
        plugins: [SwaggerUIBundle.plugins.DownloadUrl],
      }}));
    }};
  </script>
</body>
</html>
"""


@router.get("/docs")
async def docs(request: Request) -> HTMLResponse:
    return HTMLResponse(docs_page("Muistot API", root_path(request)), headers={"Cache-Control": "no-cache"})


@router.get("/docs/{asset}")
async def docs_asset(asset: str) -> Response:
    if asset not in ASSETS:
        raise ApiError(404)
    return FileResponse(swagger_ui_dir() / asset, media_type=ASSETS[asset],
                        headers={"Cache-Control": "public, max-age=86400"})


@router.get("/openapi/{service}.json")
async def openapi(service: str, request: Request, settings: SettingsDep) -> Response:
    if service not in SERVICES:
        raise ApiError(404)
    if service == THIS_SERVICE:
        return JSONResponse(request.app.openapi())
    problem = "unreachable"
    async with httpx.AsyncClient(timeout=TIMEOUT) as client:
        # Any instance of the service has the same spec; the first that answers gives it.
        for base in service_urls(settings, service):
            try:
                answer = await client.get(f"{base}/openapi.json")
            except httpx.HTTPError:
                continue
            if answer.status_code == 200:
                return Response(answer.content, media_type="application/json")
            problem = str(answer.status_code)
    return error_response(503, "Service Unavailable", [f"{service}: {problem}"], headers={"Retry-After": "5"})


async def _probe(client: httpx.AsyncClient, request: Request, settings: Settings, service: str) -> str:
    if service == THIS_SERVICE:
        checks = await readiness(request.app)
        failed = [f"{name} {state}" for name, state in checks.items() if state != "ok"]
        return "ok" if not failed else "; ".join(failed)
    # A service is ready when one of its instances is: the gateway sends its requests to those.
    states = await asyncio.gather(*(_probe_instance(client, base) for base in
                                    service_urls(settings, service)))
    return "ok" if "ok" in states else "; ".join(dict.fromkeys(states))


async def _probe_instance(client: httpx.AsyncClient, base: str) -> str:
    try:
        answer = await client.get(f"{base}/ready")
    except httpx.HTTPError as exc:
        return f"unreachable: {type(exc).__name__}"
    return "ok" if answer.status_code == 200 else f"not ready: {answer.status_code}"


@router.get("/_internal/ready-all")
async def ready_all(request: Request, settings: SettingsDep) -> Response:
    """The gateway's `/ready`: every service ready, or 503 naming the ones that are not."""
    async with httpx.AsyncClient(timeout=TIMEOUT) as client:
        states = await asyncio.gather(*(_probe(client, request, settings, name) for name in SERVICES))
    services: dict[str, Any] = dict(zip(SERVICES, states, strict=True))
    failed = [f"{name}: {state}" for name, state in services.items() if state != "ok"]
    if failed:
        return error_response(503, "Service Unavailable", failed, headers={"Retry-After": "5"})
    return JSONResponse({"status": "ok", "services": services})
