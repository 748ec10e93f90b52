"""The reference lines: minimal apps behind a Traefik configured exactly as our gateway is.

`python -m muistot_tooling.bench.reference KIND --port N [--size BYTES]` serves one minimal ASGI app with the
uvicorn options every service gets (`muistot.cli.uvicorn_options`):

* `constant`: a constant ~2 KB JSON document for every path (`ceiling`, and `ceiling_auth` behind ForwardAuth);
* `big`: a constant JSON body of `--size` bytes, the size of the big site list (`ceiling_big`);
* `verify`: the ForwardAuth answer, 200 with an identity header, for every request.

`ReferenceGateway` starts the three apps and a Traefik rendered by `muistot_tooling.gateway.traefik_file` from
a two-route table, so the entry points, identity-header stripping, CORS, error pages and ForwardAuth
settings are the gateway's own; only what sits behind them is trivial.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import orjson

from muistot.settings import Settings
from muistot_tooling.gateway import model
from muistot_tooling.gateway.routes import RouteTable, parse
from muistot_tooling.gateway.traefik_file import render
from muistot_tooling.runner import Stack, traefik_binary

Scope = dict[str, Any]
Receive = Callable[[], Awaitable[dict[str, Any]]]
Send = Callable[[dict[str, Any]], Awaitable[None]]
App = Callable[[Scope, Receive, Send], Awaitable[None]]

CEILING_PATH = "/ceiling"
CEILING_BIG_PATH = "/ceiling_big"

# `ceiling` is an anonymous request, `ceiling_auth` the same path with a bearer token: the route has
# ForwardAuth, and the gateway's anonymous fast path skips it without `Authorization`, as on our routes.
TABLE: RouteTable = parse({"routes": [
    {"name": "ceiling", "service": "data", "rule": f"Path(`{CEILING_PATH}`)", "priority": 300},
    {"name": "ceiling-big", "service": "users", "rule": f"Path(`{CEILING_BIG_PATH}`)", "priority": 300},
]})


def constant_body(size: int = 2048) -> bytes:
    """A JSON list of project-like items, at least `size` bytes."""
    items: list[dict[str, Any]] = []
    while len(body := orjson.dumps({"items": items})) < size:
        n = len(items) + 1
        items.append({"id": f"project-{n}", "info": {"lang": "fi", "name": f"Muistoja {n}",
                                                     "abstract": "Kesä mökki järvi sauna koulu mummola."},
                      "sites_count": 10 * n, "published": True})
    return body


def sized_body(size: int) -> bytes:
    """A JSON document of exactly `size` bytes."""
    head, tail = b'{"items":[],"padding":"', b'"}'
    return head + b"x" * max(0, size - len(head) - len(tail)) + tail


def app_answering(status: int, headers: list[tuple[bytes, bytes]], body: bytes) -> App:
    response_headers = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode()),
                        *headers]

    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            while True:
                message = await receive()
                if message["type"] == "lifespan.startup":
                    await send({"type": "lifespan.startup.complete"})
                elif message["type"] == "lifespan.shutdown":
                    await send({"type": "lifespan.shutdown.complete"})
                    return
        await send({"type": "http.response.start", "status": status, "headers": response_headers})
        await send({"type": "http.response.body", "body": body})

    return app


def build_app(kind: str, size: int) -> App:
    if kind == "constant":
        return app_answering(200, [], constant_body())
    if kind == "big":
        return app_answering(200, [], sized_body(size))
    if kind == "verify":
        return app_answering(200, [(model.IDENTITY_HEADER.lower().encode(), b"reference-identity")], b"{}")
    raise ValueError(f"unknown reference app {kind!r}")


def main(argv: list[str] | None = None) -> int:
    import uvicorn

    from muistot.cli import uvicorn_options

    parser = argparse.ArgumentParser(prog="python -m muistot_tooling.bench.reference")
    parser.add_argument("kind", choices=("constant", "big", "verify"))
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--size", type=int, default=0, help="body size of the big app, in bytes")
    args = parser.parse_args(argv)
    uvicorn.run(build_app(args.kind, args.size), host="127.0.0.1", port=args.port, **uvicorn_options(Settings()))
    return 0


class ReferenceGateway:
    """Traefik and the three minimal apps, on the ports of `settings` (data → constant, users → big, login →
    verify, admin → constant), stopped together."""

    def __init__(self, settings: Settings, big_size: int, directory: Path) -> None:
        self.settings = settings
        self.big_size = big_size
        self.directory = directory
        self.processes = Stack(settings, services=(), gateway=False, worker=False, log_dir=directory / "logs")

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.settings.gateway_port}"

    def start(self, timeout: float = 60.0) -> None:
        deadline = time.monotonic() + timeout
        apps = {"constant": self.settings.data_port, "big": self.settings.users_port,
                "verify": self.settings.login_port}
        try:
            for kind, port in apps.items():
                argv = [sys.executable, "-m", "muistot_tooling.bench.reference", kind, "--port", str(port)]
                self.processes.spawn(f"reference-{kind}", [*argv, "--size", str(self.big_size)] if kind == "big"
                                     else argv)
            for kind, port in apps.items():
                self.processes.wait_http(f"http://127.0.0.1:{port}/health", deadline, f"reference-{kind}")
            rendered = render(self.settings, TABLE, directory=self.directory / "gateway")
            self.processes.spawn("reference-traefik", [traefik_binary(), f"--configFile={rendered.static}"])
            self.processes.wait_http(f"{self.url}{CEILING_PATH}", deadline, "reference-traefik")
        except BaseException:
            self.stop()
            raise

    def stop(self) -> None:
        self.processes.stop()


if __name__ == "__main__":
    sys.exit(main())
