"""Users service: the signed-in person's account under `/me`."""

from fastapi import FastAPI

from muistot.app import create_service_app
from muistot.settings import Settings
from muistot_users.routes import content, email, password, privacy, profile, providers, sessions, username

ROUTERS = [profile.router, username.router, email.router, password.router, sessions.router, content.router,
           privacy.router, providers.router]
# The largest body here is a short JSON object (personal data, a password).
BODY_LIMIT = 64 * 1024


def create_app(settings: Settings | None = None) -> FastAPI:
    return create_service_app("users", ROUTERS, settings=settings, max_body_bytes=BODY_LIMIT,
                              description="The signed-in person's profile, sessions and data.")
