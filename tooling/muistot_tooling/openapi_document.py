"""`muistot-dev openapi`: the four services' OpenAPI documents merged into one, `docs/openapi.json`.

The gateway routes by path and method, so one path can be answered by two services (`GET /projects` by data,
`POST /projects` by admin); the merged document has each operation once, marked with the service that answers
it (`x-muistot-service`). It is built from the apps with default settings, whatever the environment says, so
the committed file is the same on every machine; `--check` exits 1 when it is out of date (a test runs it).
"""

from __future__ import annotations

import argparse
import importlib
import json
import sys
from pathlib import Path
from typing import Any

from muistot.settings import SERVICES, Settings

DEFAULT_PATH = Path("docs/openapi.json")
TITLE = "Muistot API"
DESCRIPTION = """\
The whole API behind the gateway, as one document for client generators; `/docs` shows the same per service.
Sign-in flows: the login service's description (and docs/sign-in.md). The contract's rules (errors, languages,
times, ids, images): docs/api.md. Every operation names the service that answers it in `x-muistot-service`.
"""


def document_settings() -> Settings:
    """Defaults only: no path prefix, comments on, no providers; no `.env`, and the environment cannot differ."""
    return Settings(_env_file=None, root_path="", disable_comments=False, oidc_providers=[], env="dev")  # type: ignore[call-arg]


def service_documents(settings: Settings | None = None) -> dict[str, dict[str, Any]]:
    settings = settings or document_settings()
    documents = {}
    for service in SERVICES:
        app = importlib.import_module(f"muistot_{service}.app").create_app(settings)
        documents[service] = app.openapi()
    return documents


def merge(documents: dict[str, dict[str, Any]]) -> dict[str, Any]:
    """One document; a schema two services name alike must be the same schema (else it is an error)."""
    paths: dict[str, dict[str, Any]] = {}
    schemas: dict[str, Any] = {}
    security: dict[str, Any] = {}
    tags: list[str] = []
    for service, document in documents.items():
        for path, operations in document.get("paths", {}).items():
            for method, operation in operations.items():
                if method in paths.get(path, {}):
                    raise ValueError(f"{method.upper()} {path} is in two services")
                paths.setdefault(path, {})[method] = {**operation, "x-muistot-service": service}
                tags += [tag for tag in operation.get("tags", []) if tag not in tags]
        components = document.get("components", {})
        for name, schema in components.get("schemas", {}).items():
            if name in schemas and schemas[name] != schema:
                raise ValueError(f"schema {name} differs between services; give one of them another name")
            schemas[name] = schema
        security.update(components.get("securitySchemes", {}))
    version = next(iter(documents.values()))["info"]["version"]
    return {
        "openapi": next(iter(documents.values()))["openapi"],
        "info": {"title": TITLE, "version": version, "description": DESCRIPTION},
        "tags": [{"name": tag} for tag in tags],
        "paths": {path: paths[path] for path in sorted(paths)},
        "components": {"schemas": dict(sorted(schemas.items())), "securitySchemes": security},
    }


def render(document: dict[str, Any]) -> str:
    return json.dumps(document, indent=2, ensure_ascii=False) + "\n"


def current_text() -> str:
    return render(merge(service_documents()))


def cmd_openapi(args: argparse.Namespace) -> int:
    path = Path(args.output)
    text = current_text()
    if args.check:
        if not path.exists() or path.read_text(encoding="utf-8") != text:
            print(f"muistot: {path} is out of date; run `muistot-dev openapi` (or `make openapi`)", file=sys.stderr)
            return 1
        print(f"muistot: {path} is up to date")
        return 0
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    print(f"muistot: wrote {path}")
    return 0


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("openapi", help="write the merged OpenAPI document of all four services")
    p.add_argument("--output", default=str(DEFAULT_PATH), help=f"where to write it (default {DEFAULT_PATH})")
    p.add_argument("--check", action="store_true", help="only compare: exit 1 when the file is out of date")
    p.set_defaults(func=cmd_openapi)
