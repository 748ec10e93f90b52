"""Serving the whole API under a path prefix (`MUISTOT_ROOT_PATH`, the original's `PROXY_ROOT`).

The routing table is written without the prefix. With one, every public rule is rewritten to match
under it (`Path(`/ready`)` → `Path(`/api/ready`)`, `PathRegexp(`^/me(/.*)?$`)` →
`PathRegexp(`^/api/me(/.*)?$`)`), a `stripPrefix` middleware removes it again before a service sees
the request (Traefik then sends `X-Forwarded-Prefix`), and everything outside the prefix is the
JSON 404 of the error pages. The gateway's own `/health` answers both with and without the prefix.
"""

from __future__ import annotations

import re

from muistot_tooling.gateway.routes import RouteTableError

_MATCHER = re.compile(r"\b(Path|PathPrefix|PathRegexp)\(`([^`]*)`\)")


def _regexp(root: str) -> str:
    # The settings allow letters, digits and `-_.~` in the prefix; only `.` means something in a regexp.
    return root.replace(".", r"\.")


def prefixed(rule: str, root: str) -> str:
    """`rule` matching the same requests under `root` (unchanged when `root` is empty)."""
    if not root:
        return rule

    def rewrite(match: re.Match[str]) -> str:
        kind, arg = match.group(1), match.group(2)
        if kind == "PathRegexp":
            if not arg.startswith("^/"):
                raise RouteTableError(f"cannot put {root} before the unanchored {match.group(0)}")
            return f"PathRegexp(`^{_regexp(root)}{arg[1:]}`)"
        if not arg.startswith("/"):
            raise RouteTableError(f"cannot put {root} before {match.group(0)}")
        if arg == "/":
            # The prefix alone is the root too; `/apix` is not under `/api`.
            tail = "/?$" if kind == "Path" else "(/.*)?$"
            return f"PathRegexp(`^{_regexp(root)}{tail}`)"
        return f"{kind}(`{root}{arg}`)"

    return _MATCHER.sub(rewrite, rule)


def outside(root: str) -> str:
    """The rule of every path not under `root`."""
    return f"!PathRegexp(`^{_regexp(root)}(/.*)?$`)"
