"""Progress lines on stderr, with the seconds since the run began."""

from __future__ import annotations

import sys
import time

STARTED = time.monotonic()


def say(message: str) -> None:
    print(f"resilience [{time.monotonic() - STARTED:6.1f} s] {message}", file=sys.stderr, flush=True)
