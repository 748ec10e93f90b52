"""The gateway as data: routers and middlewares derived from the routing table and the settings.

Every renderer (local file provider, docker labels, Kubernetes CRDs) formats this one model, so
the three agree route for route.

Middleware order on every router that reaches a service:
strip identity headers → (strip the root path) → CORS → errors (JSON 503) → ForwardAuth (unless the
route has `auth: false`) → (replace the path). With a root path (`GatewayOptions.root_path`) every
public rule matches under it, and a last router answers everything outside it with the JSON 404
(see `muistot_tooling.gateway.root_path`).

The errors middleware fetches its JSON pages through the `internal` entry point too, where a `retry`
middleware moves on to the next service when the one picked is down or dies answering, so a dead
service never makes the error page itself fail.

Reads and writes of a route get separate routers: `GET`/`HEAD` (`<route>-read`) end in the `retry`
middleware, so a read that could not reach an instance, or whose instance died before it answered, is sent
to another one; every other method goes without it, so the gateway never sends a write twice.

Each service's instances are health-checked on `/ready` (where the renderer can say so), and with
`GatewayOptions.unavailable_fallback` a service whose every instance is out of the pool is answered by
the JSON 503 page rather than Traefik's plain-text "no available server": the renderer wraps the pool in
a failover whose fallback asks the `internal` entry point's `gateway-unavailable` router.

ForwardAuth does not call the login service directly: it calls Traefik's own `internal` entry point,
whose `gateway-verify` router carries the errors middleware. When login is down that hop answers a
JSON 503, which ForwardAuth hands to the client as is. (Called directly, an unreachable auth server
makes ForwardAuth answer a bare 500, which an errors middleware on the public router could not tell
apart from a service's own 500.)
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from muistot.settings import ROOT_PATH_PATTERN, SERVICES
from muistot_tooling.gateway import root_path
from muistot_tooling.gateway.routes import Route, RouteTable

IDENTITY_HEADER = "X-Muistot-Identity"
# Look-alikes some stacks fold into the real name (`_` → `-`, `.` → `-`); never let a client send them.
IDENTITY_LOOKALIKES = ("X_Muistot_Identity", "X.Muistot.Identity", "X-Muistot_Identity", "X_Muistot-Identity",
                       "X-Muistot.Identity", "X.Muistot-Identity")
ANONYMOUS = "!HeaderRegexp(`Authorization`, `.+`)"
AUTHENTICATED = "HeaderRegexp(`Authorization`, `.+`)"

WEB = "web"
INTERNAL = "internal"
VERIFY_PATH = "/_internal/verify"
ERROR_QUERY = "/_internal/error/{status}"
# Statuses Traefik itself produces when a service is unreachable (502) or too slow (504). A
# service's own 500/503 carries the contract's message and passes through untouched.
PROXY_ERRORS = ("502", "504")

ERROR_PAGES_RULE = "PathRegexp(`^/_internal/error/[0-9]{3}$`)"
# Where a service's failover fallback sends a request (its path follows): answered with the JSON 503 page.
UNAVAILABLE_PATH = "/_internal/unavailable"
UNAVAILABLE_PAGE = "/_internal/error/503"
UNAVAILABLE_RULE = f"PathPrefix(`{UNAVAILABLE_PATH}/`)"

READ_METHODS = ("GET", "HEAD")
READS = " || ".join(f"Method(`{method}`)" for method in READ_METHODS)
_METHOD = re.compile(r"Method\(`([A-Z]+)`\)")
# A service instance is in the gateway's pool while its /ready answers 200 (MariaDB and Redis answer): a
# dead one leaves it within a second (writes sent to it meanwhile are answered 503, never retried), a
# restarted one is back a second after it answers.
HEALTH_PATH = "/ready"
HEALTH_INTERVAL = "1s"
HEALTH_UNHEALTHY_INTERVAL = "1s"
HEALTH_TIMEOUT = "2s"
# A failed read is tried again after a pause that grows from 50 to 100 ms, so its retries span about
# 1.2 s, longer than the health check needs to notice a dead instance: a read never runs out of attempts
# on the dead one while the pool still lists it. (With no pause the retries of many concurrent reads
# land on the dead instance in turn: 82 of 34,000 reads failed at one kill.)
RETRY_ATTEMPTS = 16
RETRY_INITIAL_INTERVAL = "50ms"

STRIP = "muistot-strip-identity"
CORS = "muistot-cors"
ERRORS = "muistot-errors"
AUTH = "muistot-auth"
RETRY = "muistot-retry"
UNAVAILABLE = "muistot-unavailable-path"
STRIP_ROOT = "muistot-strip-root"
OUTSIDE_ROOT = "gateway-outside-root"
NOT_FOUND_PAGE = "/_internal/error/404"


@dataclass(frozen=True)
class GatewayOptions:
    cors_origins: tuple[str, ...] = ("*",)
    trusted_ips: tuple[str, ...] = ("127.0.0.1/32", "::1/128")
    # Where ForwardAuth reaches the `internal` entry point (from inside the Traefik process).
    verify_address: str = "http://127.0.0.1:5690" + VERIFY_PATH
    # A second router per route for requests without `Authorization`, skipping the ForwardAuth hop.
    anonymous_fast_path: bool = True
    # Path prefix of every public route (`MUISTOT_ROOT_PATH`): "" or e.g. "/api", no trailing slash.
    root_path: str = ""
    # A failover per service to the JSON 503 page when no instance is healthy (file and compose renderings;
    # Kubernetes has no failover service, and drops unready pods from a Service by itself).
    unavailable_fallback: bool = True

    def __post_init__(self) -> None:
        if self.root_path and not ROOT_PATH_PATTERN.match(self.root_path):
            raise ValueError(f"root path must be empty or like /api, not {self.root_path!r}")


@dataclass(frozen=True)
class RouterSpec:
    name: str
    rule: str
    priority: int
    # login | users | admin | data | ping@internal, or the error pages: `errors` is what the errors
    # middleware calls (the internal entry point's `gateway-error-pages` router, which retries),
    # `error-backends` the four services' `/_internal/error/{status}` behind it.
    service: str
    middlewares: tuple[str, ...]
    entrypoint: str = WEB
    route: str = ""  # the table's route it comes from ("" for the gateway's own verify hop)


@dataclass(frozen=True)
class GatewayModel:
    routers: tuple[RouterSpec, ...]
    middlewares: dict[str, dict[str, Any]] = field(default_factory=dict)

    def router(self, name: str) -> RouterSpec:
        return next(router for router in self.routers if router.name == name)


def _route_middleware_name(route: Route) -> str:
    return f"muistot-{route.name}-path"


def middlewares(table: RouteTable, options: GatewayOptions) -> dict[str, dict[str, Any]]:
    strip = {IDENTITY_HEADER: "", **{name: "" for name in IDENTITY_LOOKALIKES}}
    defined: dict[str, dict[str, Any]] = {
        STRIP: {"headers": {"customRequestHeaders": strip}},
        CORS: {"headers": {
            "accessControlAllowOriginList": list(options.cors_origins),
            "accessControlAllowMethods": ["GET", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"],
            "accessControlAllowHeaders": ["Authorization", "Content-Type", "Content-Language", "Accept-Language",
                                          "Muistot-Language", "X-Request-Id"],
            "accessControlExposeHeaders": ["Authorization", "Location", "X-Request-Id", "Retry-After"],
            "accessControlMaxAge": 600,
            "addVaryHeader": True,
        }},
        ERRORS: {"errors": {
            "status": list(PROXY_ERRORS),
            "statusRewrites": {status: 503 for status in PROXY_ERRORS},
            "service": "errors",
            "query": ERROR_QUERY,
        }},
        AUTH: {"forwardAuth": {
            "address": options.verify_address,
            "trustForwardHeader": False,
            "authRequestHeaders": ["Authorization", "X-Request-Id"],
            "authResponseHeaders": [IDENTITY_HEADER, "X-Request-Id"],
            "maxResponseBodySize": 65536,
        }},
        # Reads, the verify hop and the error pages. A dead instance refuses the connection: try the next one.
        # A request Traefik had sent to an instance that then died (in flight, or put on one of its pooled
        # connections just before Traefik saw it close) is Traefik's own 502: sent again too. These requests
        # have no body to replay: `maxRequestBodyBytes: 1` keeps Traefik from holding a body buffer for every
        # request (its default cost 280 MiB more at 128 signed-in connections, and a third of the throughput).
        RETRY: {"retry": {"attempts": RETRY_ATTEMPTS, "initialInterval": RETRY_INITIAL_INTERVAL,
                          "status": ["502"], "maxRequestBodyBytes": 1}},
    }
    if options.unavailable_fallback:
        defined[UNAVAILABLE] = {"replacePath": {"path": UNAVAILABLE_PAGE}}
    if options.root_path:
        defined[STRIP_ROOT] = {"stripPrefix": {"prefixes": [options.root_path]}}
    for route in _public_routes(table, options):
        if route.replace_path:
            defined[_route_middleware_name(route)] = {"replacePath": {"path": route.replace_path}}
    return defined


def _public_routes(table: RouteTable, options: GatewayOptions) -> list[Route]:
    """The table's routes, plus the JSON 404 for everything outside the root path when there is one."""
    routes = list(table)
    if options.root_path:
        routes.append(Route(name=OUTSIDE_ROOT, service="errors", rule=root_path.outside(options.root_path),
                            priority=1, auth=False, replace_path=NOT_FOUND_PAGE))
    return routes


def _public_rule(route: Route, options: GatewayOptions) -> str:
    if route.name == OUTSIDE_ROOT:
        return route.rule
    rule = root_path.prefixed(route.rule, options.root_path)
    if route.service == "ping@internal" and rule != route.rule:
        # Health probes keep working unchanged, and also answer under the prefix.
        return f"{route.rule} || {rule}"
    return rule


def _chain(route: Route, with_auth: bool, options: GatewayOptions, *, retry: bool = False) -> tuple[str, ...]:
    if route.service == "ping@internal":
        return ()
    chain = [STRIP]
    if options.root_path and route.name != OUTSIDE_ROOT:
        chain.append(STRIP_ROOT)
    chain += [CORS, ERRORS]
    if with_auth:
        chain.append(AUTH)
    if route.replace_path:
        chain.append(_route_middleware_name(route))
    if retry:
        chain.append(RETRY)
    return tuple(chain)


def method_split(rule: str) -> list[tuple[str, str, bool]]:
    """(name suffix, rule, retried) of the routers a service route becomes: reads apart from the rest.

    A rule that names only read methods, or only others, stays one router.
    """
    named = set(_METHOD.findall(rule))
    reads, others = named & set(READ_METHODS), named - set(READ_METHODS)
    if named and not others:
        return [("-read", rule, True)]
    if named and not reads:
        return [("", rule, False)]
    return [("-read", f"({rule}) && ({READS})", True), ("", f"({rule}) && !({READS})", False)]


def build(table: RouteTable, options: GatewayOptions) -> GatewayModel:
    routers: list[RouterSpec] = []
    for route in _public_routes(table, options):
        public_rule = _public_rule(route, options)
        authenticated = route.auth and route.service in SERVICES
        splits = method_split(public_rule) if route.service in SERVICES else [("", public_rule, False)]
        for suffix, rule, retry in splits:
            name = f"{route.name}{suffix}"
            if authenticated and options.anonymous_fast_path:
                # Disjoint rules at the same priority: the table's ordering between routes is unchanged.
                routers.append(RouterSpec(name=name, rule=f"({rule}) && {AUTHENTICATED}",
                                          priority=route.priority, service=route.service,
                                          middlewares=_chain(route, True, options, retry=retry), route=route.name))
                routers.append(RouterSpec(name=f"{name}-anonymous", rule=f"({rule}) && {ANONYMOUS}",
                                          priority=route.priority, service=route.service,
                                          middlewares=_chain(route, False, options, retry=retry), route=route.name))
            else:
                routers.append(RouterSpec(name=name, rule=rule, priority=route.priority, service=route.service,
                                          middlewares=_chain(route, authenticated, options, retry=retry),
                                          route=route.name))
    # ForwardAuth's hop is a GET: with several login instances, one that is dead or dies before it answers
    # is retried on another; when every attempt fails, the errors middleware here answers the JSON 503.
    routers.append(RouterSpec(name="gateway-verify", rule=f"Path(`{VERIFY_PATH}`)", priority=1000, service="login",
                              middlewares=(ERRORS, RETRY), entrypoint=INTERNAL))
    routers.append(RouterSpec(name="gateway-error-pages", rule=ERROR_PAGES_RULE, priority=1000,
                              service="error-backends", middlewares=(RETRY,), entrypoint=INTERNAL))
    if options.unavailable_fallback:
        routers.append(RouterSpec(name="gateway-unavailable", rule=UNAVAILABLE_RULE, priority=1000,
                                  service="error-backends", middlewares=(UNAVAILABLE, RETRY),
                                  entrypoint=INTERNAL))
    return GatewayModel(routers=tuple(routers), middlewares=middlewares(table, options))
