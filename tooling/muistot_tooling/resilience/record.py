"""Every answer the run's clients get, counted: requests, errors (a failed connection or a 4xx/5xx that
is not the JSON envelope) and 5xx, each 5xx judged expected only inside a fault's window and only as the
JSON 503 with `Retry-After`."""

from __future__ import annotations

import json
import threading
import time
from dataclasses import dataclass, field
from typing import Any

import httpx

from muistot_tooling.resilience.progress import STARTED

GRACE_SECONDS = 3.0  # requests in flight when a fault's recovery was seen may still answer 503


def is_envelope(status: int, content_type: str, body: bytes | str) -> bool:
    """The contract's error envelope: `{"error": {"code": <status>, ...}}` as application/json."""
    if not content_type.startswith("application/json"):
        return False
    try:
        data = json.loads(body)
    except ValueError:
        return False
    return isinstance(data, dict) and isinstance(data.get("error"), dict) and data["error"].get("code") == status


def is_json_error(response: httpx.Response) -> bool:
    return is_envelope(response.status_code, response.headers.get("content-type", ""), response.content)


def is_clean_503(response: httpx.Response) -> bool:
    return response.status_code == 503 and is_json_error(response) and bool(response.headers.get("retry-after"))


@dataclass
class Window:
    fault: str
    started: float
    ended: float | None = None


@dataclass
class Recorder:
    """Counts answers; `unexpected_5xx` and `problems` name the ones that count as failures."""

    requests: int = 0
    errors: int = 0  # no answer, or a 4xx/5xx
    server_errors: int = 0
    unexpected_5xx: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)  # no answer outside a fault, or an error not in JSON
    windows: list[Window] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def open_window(self, fault: str) -> Window:
        window = Window(fault, time.monotonic())
        with self.lock:
            self.windows.append(window)
        return window

    def close_window(self, window: Window) -> None:
        window.ended = time.monotonic() + GRACE_SECONDS

    def _fault_at(self, sent: float) -> str:
        return "".join(f", during {w.fault}" for w in self.windows if w.started <= sent
                       and (w.ended is None or sent <= w.ended))

    def _in_window(self, sent: float, answered: float) -> bool:
        return any(w.started <= answered and (w.ended is None or sent <= w.ended) for w in self.windows)

    def note(self, what: str, response: httpx.Response | None, sent: float, failure: str = "") -> None:
        """One request's outcome; `sent` is its time.monotonic() when it was sent."""
        answered = time.monotonic()
        what = f"[{sent - STARTED:.1f} s{self._fault_at(sent)}] {what}"
        with self.lock:
            self.requests += 1
            if response is None:
                self.errors += 1
                if not self._in_window(sent, answered):
                    self.problems.append(f"{what}: no answer: {failure}")
                return
            status = response.status_code
            if status < 400:
                return
            self.errors += 1
            if not is_json_error(response):
                self.problems.append(f"{what}: {status} is not the JSON envelope: {response.text[:200]!r}")
            if status >= 500:
                self.server_errors += 1
                if not (is_clean_503(response) and self._in_window(sent, answered)):
                    self.unexpected_5xx.append(f"{what}: {status} {response.text[:200]!r} "
                                               f"(Retry-After {response.headers.get('retry-after')!r})")

    def send(self, client: httpx.Client, method: str, url: str, **kwargs: Any) -> httpx.Response | None:
        sent = time.monotonic()
        try:
            response = client.request(method, url, **kwargs)
        except httpx.HTTPError as exc:
            self.note(f"{method} {url}", None, sent, f"{type(exc).__name__}: {exc}")
            return None
        self.note(f"{method} {url}", response, sent)
        return response
