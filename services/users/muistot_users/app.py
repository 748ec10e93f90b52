"""Users service: the signed-in person's account under `/me`."""

from fastapi import FastAPI

from muistot.app import create_service_app
from muistot.content.body_limit import BodyLimitMiddleware
from muistot.settings import Settings
from muistot_users.routes import content, email, password, privacy, profile, sessions, username

ROUTERS = [profile.router, username.router, email.router, password.router, sessions.router, content.router,
           privacy.router]
# The largest body here is a short JSON object (personal data, a password).
BODY_LIMIT = 64 * 1024


def create_app(settings: Settings | None = None) -> FastAPI:
    app = create_service_app("users", ROUTERS, settings=settings,
                             description="The signed-in person's profile, sessions and data.")
    # Outermost, so an oversized body is refused (413) before anything buffers or parses it.
    app.add_middleware(BodyLimitMiddleware, max_bytes=BODY_LIMIT)
    return app
