"""Users service: the signed-in person's account under `/me`."""

from fastapi import FastAPI

from muistot.app import create_service_app
from muistot.settings import Settings
from muistot_users.routes import content, email, password, privacy, profile, sessions, username

ROUTERS = [profile.router, username.router, email.router, password.router, sessions.router, content.router,
           privacy.router]


def create_app(settings: Settings | None = None) -> FastAPI:
    return create_service_app("users", ROUTERS, settings=settings,
                              description="The signed-in person's profile, sessions and data.")
