"""Users service: the signed-in person's account under `/me`."""

from fastapi import FastAPI

from muistot.app import create_service_app
from muistot.settings import Settings
from muistot_users.routes import content, profile, sessions


def create_app(settings: Settings | None = None) -> FastAPI:
    return create_service_app("users", [profile.router, sessions.router, content.router], settings=settings,
                              description="The signed-in person's profile, sessions and data.")
