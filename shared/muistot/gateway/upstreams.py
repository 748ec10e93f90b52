"""Where the gateway-side helpers (docs, aggregate readiness) reach each service directly."""

from __future__ import annotations

import os

from muistot.settings import Settings


def service_url(settings: Settings, service: str) -> str:
    """`<service>_url` if the settings have one, else `MUISTOT_<SERVICE>_URL`, else 127.0.0.1:<port>."""
    configured = getattr(settings, f"{service}_url", "") or os.environ.get(f"MUISTOT_{service.upper()}_URL", "")
    return (configured or f"http://127.0.0.1:{settings.port_of(service)}").rstrip("/")
