"""Data service: projects, sites, memories, comments and images: reads and contributions."""

from fastapi import FastAPI

from muistot.app import create_service_app
from muistot.settings import Settings
from muistot_data.routes import common


def create_app(settings: Settings | None = None) -> FastAPI:
    return create_service_app("data", [common.router], settings=settings,
                              description="Projects, sites, memories, comments and images.")
