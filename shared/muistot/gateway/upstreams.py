"""Where the gateway-side helpers (docs, aggregate readiness) reach each service directly."""

from __future__ import annotations

from muistot.settings import Settings


def service_url(settings: Settings, service: str) -> str:
    """`MUISTOT_<SERVICE>_URL` if set, else 127.0.0.1 and the service's port."""
    configured = str(getattr(settings, f"{service}_url"))
    return (configured or f"http://127.0.0.1:{settings.port_of(service)}").rstrip("/")
