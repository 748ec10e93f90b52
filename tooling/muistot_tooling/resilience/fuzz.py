"""schemathesis on every service's OpenAPI document, through the gateway, with a fixed seed and a small
example budget: valid and invalid requests, anonymous and with a superuser's token. A case fails when it is
answered with a 5xx, with an error that is not the JSON envelope, or not at all."""

from __future__ import annotations

import os
from dataclasses import dataclass, field

import requests
import schemathesis
from hypothesis import HealthCheck, Phase, given, seed, settings
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode

from muistot.settings import SERVICES
from muistot_tooling.resilience.context import Run
from muistot_tooling.resilience.progress import say
from muistot_tooling.resilience.record import is_envelope

SEED = 20260412
EXAMPLES = int(os.environ.get("RESILIENCE_FUZZ_EXAMPLES", "4"))  # per operation, mode and identity
TIMEOUT = 15.0


@dataclass
class Tally:
    cases: int = 0
    failures: list[str] = field(default_factory=list)
    not_sent: int = 0  # a generated request the HTTP client itself refused to send (say, a header not in Latin-1)
    not_generated: list[str] = field(default_factory=list)
    # Traefik's own plain-text 400 for a path with an encoded slash, backslash or NUL, refused before any
    # route applies (the README's limits table): no service saw it, so it has no X-Request-Id.
    refused_by_gateway: int = 0


def _documented_empty(operation: schemathesis.APIOperation, status: int, body: str) -> bool:
    """A status the operation documents without a body (`GET /auth/status`'s 401), answered empty."""
    documented = operation.definition.raw.get("responses", {}).get(str(status))
    return not body and isinstance(documented, dict) and "content" not in documented


def _judge(tally: Tally, operation: schemathesis.APIOperation, label: str, response: schemathesis.Response) -> None:
    status, body = response.status_code, response.text
    headers = {name.lower(): values[0] for name, values in response.headers.items() if values}
    content_type = headers.get("content-type", "")
    if status == 400 and "x-request-id" not in headers and not content_type.startswith("application/json"):
        tally.refused_by_gateway += 1
        return
    tally.cases += 1
    if status >= 500:
        tally.failures.append(f"{label}: {status} {body[:200]!r}")
    elif status >= 400 and not _documented_empty(operation, status, body) and \
            not is_envelope(status, content_type, body):
        tally.failures.append(f"{label}: {status} is not the JSON envelope: {content_type} {body[:200]!r}")


def _fuzz_operation(tally: Tally, operation: schemathesis.APIOperation, base_url: str, mode: GenerationMode,
                    headers: dict[str, str], who: str) -> None:
    strategy = operation.as_strategy(generation_mode=mode)

    @seed(SEED)
    @settings(max_examples=EXAMPLES, database=None, deadline=None, derandomize=False,
              phases=[Phase.explicit, Phase.generate], suppress_health_check=list(HealthCheck))
    @given(case=strategy)
    def check(case: schemathesis.Case) -> None:
        label = f"{who} {mode.value} {case.method} {case.formatted_path}"
        try:
            response = case.call(base_url=base_url, headers=headers, timeout=TIMEOUT, allow_redirects=False)
        except (requests.ConnectionError, requests.Timeout) as exc:
            tally.cases += 1
            tally.failures.append(f"{label}: no answer: {type(exc).__name__}")
            return
        except (requests.RequestException, ValueError, TypeError, UnicodeError):
            tally.not_sent += 1
            return
        _judge(tally, operation, label, response)

    try:
        check()
    except Unsatisfiable:
        if mode is GenerationMode.POSITIVE:  # negative: an operation without inputs has nothing to get wrong
            tally.not_generated.append(f"{who} {mode.value} {operation.method.upper()} {operation.path}: unsatisfiable")
    except Exception as exc:  # an operation schemathesis cannot generate for is reported, not fatal
        tally.not_generated.append(f"{who} {mode.value} {operation.method.upper()} {operation.path}: "
                                   f"{type(exc).__name__}: {exc}"[:300])


def fuzz_every_service(run: Run) -> tuple[int, list[str]]:
    tally = Tally()
    for service in SERVICES:
        schema = schemathesis.openapi.from_url(f"{run.url}/openapi/{service}.json")
        before = tally.cases
        for result in schema.get_all_operations():
            operation = result.ok()
            for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
                _fuzz_operation(tally, operation, run.url, mode, {}, "anonymous")
                person = run.person(superuser=True)
                _fuzz_operation(tally, operation, run.url, mode, person.headers, "superuser")
        say(f"fuzzed {service}: {tally.cases - before} cases, {len(tally.failures)} failures so far")
    say(f"fuzz: {tally.cases} cases answered, {len(tally.failures)} failures; besides, {tally.refused_by_gateway} "
        f"refused by the gateway before routing (encoded slash, backslash or NUL in the path), {tally.not_sent} "
        f"generated requests the client could not send, {len(tally.not_generated)} operations not generated for")
    if tally.not_generated:
        for line in tally.not_generated[:10]:
            say(f"  {line}")
    return tally.cases, tally.failures
