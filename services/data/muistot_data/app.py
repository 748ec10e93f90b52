"""Data service: projects, sites, memories, comments and images: reads and contributions."""

from fastapi import FastAPI

from muistot.app import create_service_app
from muistot.body_limit import body_limit_for
from muistot.content.cache import ReadCache, ResponseCache
from muistot.settings import Settings, get_settings
from muistot_data.routes import (
    comment_writes,
    comments,
    common,
    images,
    memories,
    memory_writes,
    projects,
    site_writes,
    sites,
)


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or get_settings()
    routers = [common.router, projects.router, sites.router, site_writes.router, memories.router,
               memory_writes.router, images.router]
    if not settings.disable_comments:  # the original's switch: comment routes are simply not there
        routers += [comments.router, comment_writes.router]
    app = create_service_app("data", routers, settings=settings, max_body_bytes=body_limit_for(settings),
                             front=[ReadCache], description="Projects, sites, memories, comments and images.")
    app.state.response_cache = ResponseCache(app.state.redis, settings.cache_ttl, tuple(settings.language_list))
    return app
