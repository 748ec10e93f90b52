"""The `Allow` header of a 405: every method the API answers on the path, whichever service answers it.

Starlette names the methods of the first route whose path matched only, so `POST /me` would say `GET` although
`PATCH` and `DELETE` are there too. And the gateway sends the methods of two paths to two services
(gateway/routes.yaml): `GET /projects/{project}` to data, `PATCH` and `DELETE` to admin, so a service alone
does not know all of them. tests/api/test_allow.py checks every path of docs/openapi.json.
"""

from __future__ import annotations

from fastapi import Request
from fastapi.routing import iter_route_contexts

# The paths the gateway splits between data (reads) and admin (project writes), with all their methods.
SPLIT_PATHS = {"/projects": {"GET", "POST"}, "/projects/{project}": {"GET", "PATCH", "DELETE"}}
ORDER = ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS")


def allowed_methods(request: Request) -> str:
    """The methods of every route of this app whose path matches the request's, and of its split path."""
    path, root = request.scope["path"], request.scope.get("root_path", "")
    if root and path.startswith(root):
        path = path[len(root):] or "/"
    methods: set[str] = set()
    for route in iter_route_contexts(request.app.router.routes):
        regex = getattr(route, "path_regex", None)
        if route.methods and regex is not None and regex.match(path):
            methods |= route.methods | SPLIT_PATHS.get(route.path_format or "", set())
    return ", ".join(sorted(methods, key=lambda method: ORDER.index(method) if method in ORDER else len(ORDER)))
