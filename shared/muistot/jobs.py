"""Background jobs run by `muistot worker` (imported through `muistot.worker.JOB_MODULES`).

Add a job with `@job(interval_seconds)` on an async function taking the `WorkerContext`.
"""

from __future__ import annotations

import logging
from datetime import timedelta

from sqlalchemy import delete, false, select

from muistot.db.engine import utcnow
from muistot.db.tables import login_verifiers, users
from muistot.mail.delivery import Courier
from muistot.worker import WorkerContext, job

log = logging.getLogger("muistot.jobs")
# `login_verifiers.purpose` of registration codes (written by the login service).
REGISTRATION = "register"

_couriers: dict[int, Courier] = {}


def courier_for(ctx: WorkerContext) -> Courier:
    """One courier (and mail driver) per worker context, made on first use."""
    courier = _couriers.get(id(ctx))
    if courier is None or courier.redis is not ctx.redis:
        courier = Courier.from_settings(ctx.redis, ctx.settings)
        _couriers[id(ctx)] = courier
    return courier


@job(0.5)
async def deliver_mail(ctx: WorkerContext) -> None:
    """Send queued mail (polled twice a second, so a login link arrives without noticeable delay)."""
    await courier_for(ctx).run_once()


UNCONFIRMED_GRACE = timedelta(days=1)


@job(3600)
async def purge_unconfirmed_registrations(ctx: WorkerContext) -> None:
    """Accounts from `/auth/register` whose code was never confirmed give their name and address back
    a day after the code expired (accounts verified any other way are never touched)."""
    cutoff = utcnow() - UNCONFIRMED_GRACE
    stale = select(login_verifiers.c.user_id).where(login_verifiers.c.purpose == REGISTRATION,
                                                    login_verifiers.c.expires_at < cutoff)
    async with ctx.db.transaction() as conn:
        # Read first, so the log line can say how many went.
        user_ids = [int(row[0]) for row in await conn.execute(stale)]
        if not user_ids:
            return
        await conn.execute(delete(users).where(users.c.id.in_(user_ids), users.c.verified == false()))
        await conn.execute(delete(login_verifiers).where(login_verifiers.c.purpose == REGISTRATION,
                                                         login_verifiers.c.expires_at < cutoff))
    log.info("purged %d unconfirmed registration(s)", len(user_ids))
