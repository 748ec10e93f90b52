"""Admin service: project lifecycle, roles, publishing, reports and the moderation queue."""

from fastapi import FastAPI

from muistot.app import create_service_app
from muistot.settings import Settings
from muistot_admin.routes import audit, projects, publish, queue, reports, roles, superusers


def create_app(settings: Settings | None = None) -> FastAPI:
    routers = [projects.router, publish.router, reports.router, roles.router, superusers.router, queue.router,
               audit.router]
    return create_service_app("admin", routers, settings=settings,
                              description="Project management, roles, publishing and moderation.")
