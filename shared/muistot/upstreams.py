"""Where the gateway-side helpers (docs, aggregate readiness) reach each service directly."""

from __future__ import annotations

from muistot.settings import Settings


def service_urls(settings: Settings, service: str) -> list[str]:
    """`MUISTOT_<SERVICE>_URL` if set (one address, e.g. a load-balanced service name), else 127.0.0.1
    and the port of every `make run` instance of the service (`MUISTOT_SCALE`)."""
    configured = str(getattr(settings, f"{service}_url"))
    if configured:
        return [configured.rstrip("/")]
    return [f"http://127.0.0.1:{port}" for port in settings.instance_ports(service)]


def service_url(settings: Settings, service: str) -> str:
    """The first of `service_urls`."""
    return service_urls(settings, service)[0]
