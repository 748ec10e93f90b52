"""`muistot-dev gateway render`: the gateway rules of docker compose and Kubernetes.

`muistot-dev gateway render` writes the routing labels into `docker-compose.yml` (between the marker
comments of each service, leaving the hand-written rest of the file alone), the failover services the
compose gateway reads from a file (`deploy/docker/traefik-services.yml`) and the Traefik CRDs into
`deploy/k8s/base/gateway.yaml`, all from `gateway/routes.yaml` through `muistot_tooling.gateway`.
`--check` changes nothing and fails when a committed file differs from what would be written.
"""

from __future__ import annotations

import argparse
import re
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

REPO = Path(__file__).resolve().parents[2]
COMPOSE_FILE = Path("docker-compose.yml")
COMPOSE_SERVICES_FILE = Path("deploy/docker/traefik-services.yml")
COMPOSE_SERVICES_HEADER = """\
# The compose gateway's file-provider services (mounted into the Traefik container), rendered from
# gateway/routes.yaml by `muistot-dev gateway render`: do not edit (tests/deploy checks it is current).
# Each API service's routers name `muistot-<service>@file`: its replicas (`muistot-<service>-pool`, the
# docker labels, health-checked on /ready) or, when none is healthy, the JSON 503 page.
"""
K8S_BASE = Path("deploy/k8s/base")
K8S_GATEWAY_FILE = K8S_BASE / "gateway.yaml"

# The compose file takes the allowed origins from `.env` when it starts, not when it is rendered.
COMPOSE_CORS = "${MUISTOT_CORS_ORIGINS:-http://localhost:3000}"
_CORS_PLACEHOLDER = "muistot-cors-origins-placeholder"

BEGIN = "# BEGIN labels rendered from gateway/routes.yaml by `muistot-dev gateway render`: do not edit"
END = "# END rendered labels"
_BLOCK = re.compile(rf"^(?P<indent>[ ]*){re.escape(BEGIN)} \((?P<service>[a-z]+)\)\n.*?^(?P=indent){re.escape(END)}\n",
                    re.MULTILINE | re.DOTALL)

RATE_LIMIT = "muistot-ratelimit"
K8S_HEADER = """\
# Traefik Middlewares, TraefikService and IngressRoutes of the gateway, rendered from
# gateway/routes.yaml by `muistot-dev gateway render`: do not edit (tests/deploy checks it is current).
# Overlays change the allowed origins by patching the Middleware `muistot-cors`.
"""


class RenderError(Exception):
    pass


# --- docker compose ------------------------------------------------------------------------------


def _quote(label: str) -> str:
    # Single-quoted YAML keeps backticks, backslashes, `#` and `: ` of the rules literal.
    return "'" + label.replace("'", "''") + "'"


def compose_labels() -> dict[str, list[str]]:
    """Per compose service, its Traefik labels as they are written into the compose file."""
    from muistot_tooling.gateway import compose, routes

    options = compose.options_for_compose(cors_origins=(_CORS_PLACEHOLDER,))
    rendered = compose.yaml_labels(routes.load(), options)
    return {service: [label.replace(_CORS_PLACEHOLDER, COMPOSE_CORS) for label in labels]
            for service, labels in rendered.items()}


def render_compose(text: str, labels: dict[str, list[str]]) -> str:
    """`text` with every marked label block replaced by the labels of its service."""
    found: set[str] = set()

    def block(match: re.Match[str]) -> str:
        indent, service = match.group("indent"), match.group("service")
        if service not in labels:
            raise RenderError(f"docker-compose.yml marks labels for {service!r}, which the gateway does not know")
        found.add(service)
        lines = [f"{indent}{BEGIN} ({service})", *(f"{indent}- {_quote(label)}" for label in labels[service]),
                 f"{indent}{END}"]
        return "\n".join(lines) + "\n"

    out = _BLOCK.sub(block, text)
    missing = sorted(set(labels) - found)
    if missing:
        raise RenderError(f"docker-compose.yml has no rendered-labels block for {', '.join(missing)}")
    return out


def render_compose_services() -> str:
    from muistot_tooling.gateway import compose

    return COMPOSE_SERVICES_HEADER + yaml.safe_dump(compose.file_config(), sort_keys=False, width=1000)


# --- Kubernetes ----------------------------------------------------------------------------------


def _base_config(base: Path) -> dict[str, str]:
    """The literals of the base's `muistot-config` ConfigMap generator."""
    kustomization = yaml.safe_load((base / "kustomization.yaml").read_text(encoding="utf-8"))
    for generator in kustomization.get("configMapGenerator", []):
        if generator.get("name") == "muistot-config":
            return dict(literal.split("=", 1) for literal in generator.get("literals", []))
    raise RenderError(f"{base}/kustomization.yaml has no configMapGenerator named muistot-config")


def k8s_documents(base: Path) -> list[dict[str, Any]]:
    from muistot_tooling.gateway import k8s, model, routes

    config = _base_config(base)
    origins = tuple(origin.strip() for origin in config.get("MUISTOT_CORS_ORIGINS", "*").split(",") if origin.strip())
    documents = k8s.resources(routes.load(), k8s.options_for_k8s(cors_origins=origins), namespace="muistot")
    # Per-client rate limit ahead of everything else on the public routes (not on the gateway's health).
    for document in documents:
        if document["kind"] == "IngressRoute" and model.WEB in document["spec"]["entryPoints"]:
            for route in document["spec"]["routes"]:
                if route.get("middlewares"):
                    route["middlewares"].insert(0, {"name": RATE_LIMIT})
    return documents


def render_k8s(base: Path) -> str:
    documents = k8s_documents(base)
    return K8S_HEADER + yaml.safe_dump_all(documents, sort_keys=False, width=1000, explicit_start=True)


# --- the command ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Output:
    path: Path
    render: Callable[[str], str]


def outputs(root: Path) -> list[Output]:
    labels = compose_labels()
    return [
        Output(root / COMPOSE_FILE, lambda current: render_compose(current, labels)),
        Output(root / COMPOSE_SERVICES_FILE, lambda _current: render_compose_services()),
        Output(root / K8S_GATEWAY_FILE, lambda _current: render_k8s(root / K8S_BASE)),
    ]


def cmd_render(args: argparse.Namespace) -> int:
    root = Path(args.root).resolve()
    stale = []
    try:
        for output in outputs(root):
            current = output.path.read_text(encoding="utf-8") if output.path.exists() else ""
            wanted = output.render(current)
            if wanted == current:
                continue
            stale.append(output.path)
            if not args.check:
                output.path.parent.mkdir(parents=True, exist_ok=True)
                output.path.write_text(wanted, encoding="utf-8")
                print(f"muistot: wrote {output.path.relative_to(root)}")
    except (RenderError, OSError) as exc:
        print(f"muistot: {exc}", file=sys.stderr)
        return 2
    if args.check and stale:
        names = ", ".join(str(path.relative_to(root)) for path in stale)
        print(f"muistot: {names} out of date with gateway/routes.yaml: run `muistot-dev gateway render`",
              file=sys.stderr)
        return 1
    return 0


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("gateway", help="the gateway rules of docker compose and Kubernetes")
    sub = parser.add_subparsers(dest="gateway_command", required=True)

    render = sub.add_parser("render", help="write docker-compose.yml labels, deploy/docker/traefik-services.yml "
                                           "and deploy/k8s/base/gateway.yaml")
    render.add_argument("--check", action="store_true", help="change nothing; exit 1 if a file is out of date")
    render.add_argument("--root", default=str(REPO), help="the repository to render into")
    render.set_defaults(func=cmd_render)
