"""The routing table (`gateway/routes.yaml`): loading, validation, and a small rule evaluator.

The evaluator understands the subset of Traefik v3 rule syntax the table uses (`Method`, `Path`,
`PathPrefix`, `PathRegexp`, `HeaderRegexp`, `!`, `&&`, `||`, parentheses) so the tests can check
which route wins for a request without starting Traefik; the system tests check the real one.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from muistot.settings import SERVICES

GATEWAY_SERVICES = ("errors", "ping@internal")
ROUTES_ENV = "MUISTOT_GATEWAY_ROUTES"
_NAME = re.compile(r"^[a-z][a-z0-9-]*$")


class RouteTableError(ValueError):
    pass


@dataclass(frozen=True)
class Sample:
    method: str
    path: str

    @classmethod
    def parse(cls, text: str) -> Sample:
        method, _, path = text.strip().partition(" ")
        if not method.isupper() or not path.startswith("/"):
            raise RouteTableError(f"bad sample {text!r}: expected 'METHOD /path'")
        return cls(method, path)

    def __str__(self) -> str:
        return f"{self.method} {self.path}"


@dataclass(frozen=True)
class Route:
    name: str
    service: str
    rule: str
    priority: int
    auth: bool = True
    replace_path: str | None = None
    samples: tuple[Sample, ...] = field(default=())

    @property
    def is_backend(self) -> bool:
        """True when the route ends at one of the four services' own endpoints."""
        return self.service in SERVICES and self.replace_path is None


@dataclass(frozen=True)
class RouteTable:
    routes: tuple[Route, ...]

    def __iter__(self):  # type: ignore[no-untyped-def]
        return iter(self.routes)

    def by_name(self, name: str) -> Route:
        for route in self.routes:
            if route.name == name:
                return route
        raise KeyError(name)

    def match(self, method: str, path: str, headers: Mapping[str, str] | None = None) -> Route | None:
        """The route Traefik would pick: the highest priority among the matching rules."""
        found = [route for route in self.routes if evaluate(route.rule, method, path, headers or {})]
        return max(found, key=lambda route: route.priority, default=None)


def default_path() -> Path:
    """`$MUISTOT_GATEWAY_ROUTES`, else `gateway/routes.yaml` of the repository this package lives in."""
    configured = os.environ.get(ROUTES_ENV)
    if configured:
        return Path(configured)
    return Path(__file__).resolve().parents[3] / "gateway" / "routes.yaml"


def load(path: Path | None = None) -> RouteTable:
    path = path or default_path()
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise RouteTableError(f"routing table not found at {path} (set {ROUTES_ENV})") from None
    return parse(raw)


def parse(raw: Any) -> RouteTable:
    if not isinstance(raw, dict) or not isinstance(raw.get("routes"), list):
        raise RouteTableError("the routing table must be a mapping with a `routes` list")
    routes = []
    seen: set[str] = set()
    for entry in raw["routes"]:
        unknown = set(entry) - {"name", "service", "rule", "priority", "auth", "replace_path", "samples"}
        if unknown:
            raise RouteTableError(f"route {entry.get('name')!r}: unknown fields {sorted(unknown)}")
        name = str(entry.get("name", ""))
        if not _NAME.match(name) or name in seen:
            raise RouteTableError(f"route name {name!r} is missing, malformed or repeated")
        seen.add(name)
        service = str(entry.get("service", ""))
        if service not in (*SERVICES, *GATEWAY_SERVICES):
            raise RouteTableError(f"route {name}: unknown service {service!r}")
        priority = entry.get("priority")
        if not isinstance(priority, int) or priority < 1:
            raise RouteTableError(f"route {name}: priority must be a positive integer")
        rule = str(entry.get("rule", ""))
        try:
            compile_rule(rule)
        except RouteTableError as exc:
            raise RouteTableError(f"route {name}: {exc}") from None
        routes.append(Route(name=name, service=service, rule=rule, priority=priority,
                            auth=bool(entry.get("auth", True)), replace_path=entry.get("replace_path"),
                            samples=tuple(Sample.parse(s) for s in entry.get("samples", ()))))
    return RouteTable(tuple(routes))


# --- rule evaluation ------------------------------------------------------------------------------

Request = tuple[str, str, Mapping[str, str]]
Predicate = Callable[[Request], bool]
_TOKEN = re.compile(r"\s*(?:(\|\|)|(&&)|(!)|(\()|(\))|([A-Za-z]+)\(((?:`[^`]*`\s*,?\s*)*)\))")


def _args(raw: str) -> list[str]:
    return re.findall(r"`([^`]*)`", raw)


def _matcher(name: str, args: list[str]) -> Predicate:
    if name == "Method" and len(args) == 1:
        return lambda req: req[0] == args[0]
    if name == "Path" and len(args) == 1:
        return lambda req: req[1] == args[0]
    if name == "PathPrefix" and len(args) == 1:
        return lambda req: req[1].startswith(args[0])
    if name == "PathRegexp" and len(args) == 1:
        pattern = re.compile(args[0])
        return lambda req: pattern.search(req[1]) is not None
    if name == "HeaderRegexp" and len(args) == 2:
        header, pattern = args[0].lower(), re.compile(args[1])
        return lambda req: any(k.lower() == header and pattern.search(v) for k, v in req[2].items())
    raise RouteTableError(f"unsupported matcher {name}({', '.join(args)})")


def compile_rule(rule: str) -> Predicate:
    tokens: list[tuple[str, Any]] = []
    pos = 0
    while pos < len(rule):
        if rule[pos:].strip() == "":
            break
        m = _TOKEN.match(rule, pos)
        if not m:
            raise RouteTableError(f"cannot parse rule at {rule[pos:]!r}")
        pos = m.end()
        if m.group(6):
            tokens.append(("m", _matcher(m.group(6), _args(m.group(7)))))
        else:
            tokens.append((next(g for g in m.groups()[:5] if g), None))
    index = 0

    def peek() -> str | None:
        return tokens[index][0] if index < len(tokens) else None

    def take() -> tuple[str, Any]:
        nonlocal index
        index += 1
        return tokens[index - 1]

    def parse_or() -> Predicate:
        left = parse_and()
        while peek() == "||":
            take()
            right = parse_and()
            left = (lambda a, b: lambda req: a(req) or b(req))(left, right)
        return left

    def parse_and() -> Predicate:
        left = parse_not()
        while peek() == "&&":
            take()
            right = parse_not()
            left = (lambda a, b: lambda req: a(req) and b(req))(left, right)
        return left

    def parse_not() -> Predicate:
        if peek() == "!":
            take()
            inner = parse_not()
            return lambda req: not inner(req)
        kind, value = take() if peek() else ("end", None)
        if kind == "(":
            inner = parse_or()
            if take()[0] != ")":
                raise RouteTableError(f"unbalanced parentheses in {rule!r}")
            return inner
        if kind != "m":
            raise RouteTableError(f"unexpected {kind!r} in {rule!r}")
        return value

    predicate = parse_or()
    if index != len(tokens):
        raise RouteTableError(f"trailing tokens in {rule!r}")
    return predicate


def evaluate(rule: str, method: str, path: str, headers: Mapping[str, str]) -> bool:
    return compile_rule(rule)((method, path, headers))
