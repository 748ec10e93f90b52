"""`muistot worker`: runs the background jobs on their intervals until stopped.

A job is an async function taking a `WorkerContext`; modules add theirs to `JOBS` through
`job(interval)`. Job modules are imported from `JOB_MODULES`, so the worker knows every job
whichever service defined it.
"""

from __future__ import annotations

import asyncio
import contextlib
import importlib
import logging
import signal
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from muistot.db.engine import Database, create_engine
from muistot.redis import RedisClients
from muistot.sessions import SessionStore
from muistot.settings import Settings

log = logging.getLogger("muistot.worker")


@dataclass
class WorkerContext:
    settings: Settings
    db: Database
    redis: RedisClients
    sessions: SessionStore


Job = Callable[[WorkerContext], Awaitable[None]]
JOBS: dict[str, tuple[float, Job]] = {}
JOB_MODULES = ("muistot.jobs", "muistot.moderation")


def job(interval: float) -> Callable[[Job], Job]:
    def register(func: Job) -> Job:
        JOBS[f"{func.__module__}.{func.__name__}"] = (interval, func)
        return func

    return register


def _load_jobs() -> None:
    for name in JOB_MODULES:
        try:
            importlib.import_module(name)
        except ModuleNotFoundError as exc:
            if exc.name != name:
                raise


async def run(settings: Settings, once: bool = False) -> int:
    from muistot.logs import configure_logging

    configure_logging(settings.log_level, settings.log_json)
    _load_jobs()
    redis = RedisClients.from_settings(settings)
    ctx = WorkerContext(settings=settings, db=Database(create_engine(settings)), redis=redis,
                        sessions=SessionStore(redis.sessions, settings.redis_prefix, settings.session_idle_seconds,
                                              settings.session_max_seconds))
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    next_run = dict.fromkeys(JOBS, 0.0)
    log.info("worker started with jobs: %s", ", ".join(sorted(JOBS)) or "none")
    try:
        while not stop.is_set():
            now = time.monotonic()
            for name, (interval, func) in JOBS.items():
                if next_run[name] <= now:
                    try:
                        await func(ctx)
                    except Exception:  # a failing job is logged and retried on its next interval
                        log.exception("job %s failed", name)
                    next_run[name] = time.monotonic() + interval
            if once:
                break
            wake = min(next_run.values(), default=time.monotonic() + 5) - time.monotonic()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), timeout=max(0.05, min(wake, 5)))
    finally:
        await ctx.db.dispose()
        await redis.close()
    return 0
