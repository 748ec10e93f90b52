"""Admin service: project lifecycle, roles, publishing, reports and the moderation queue."""

from fastapi import FastAPI

from muistot.app import create_service_app
from muistot.body_limit import body_limit_for
from muistot.settings import Settings, get_settings
from muistot_admin.routes import audit, projects, publish, queue, reports, roles, superusers


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or get_settings()
    routers = [projects.router, publish.router, reports.router, roles.router, superusers.router, queue.router,
               audit.router]
    # The original's switch: comment routes are simply not there (docs/contract.md, "Comments switch").
    if not settings.disable_comments:
        routers += [publish.comment_router, reports.comment_router]
    return create_service_app("admin", routers, settings=settings, max_body_bytes=body_limit_for(settings),
                              description="Project management, roles, publishing and moderation.")
