"""Login service: identities, login flows, sessions, and the gateway's verify endpoint."""

from pathlib import Path

from fastapi import FastAPI

from muistot.app import create_service_app
from muistot.settings import Settings
from muistot_login.oidc import OidcClients
from muistot_login.routes import docs, email_login, oauth, password_login, status
from muistot_login.verify import VerifyEndpoint

# The largest body here is a short JSON object (a name, an address and a password).
BODY_LIMIT = 64 * 1024
# The spec's description: every sign-in flow step by step, shown at the top of the login spec in /docs.
DESCRIPTION = (Path(__file__).parent / "signin_flows.md").read_text(encoding="utf-8")


def create_app(settings: Settings | None = None) -> FastAPI:
    app = create_service_app("login", [status.router, email_login.router, password_login.router, oauth.router,
                                       docs.router],
                             settings=settings, max_body_bytes=BODY_LIMIT, front=[VerifyEndpoint],
                             description=DESCRIPTION)
    app.state.oidc = OidcClients(app.state.settings.oidc_providers)
    return app
