"""Background jobs run by `muistot worker` (imported through `muistot.worker.JOB_MODULES`).

Add a job with `@job(interval_seconds)` on an async function taking the `WorkerContext`.
"""

from __future__ import annotations

from muistot.mail.delivery import Courier
from muistot.mail.drivers import mailer_from_url
from muistot.worker import WorkerContext, job

_couriers: dict[int, Courier] = {}


def courier_for(ctx: WorkerContext) -> Courier:
    """One courier (and mail driver) per worker context, made on first use."""
    courier = _couriers.get(id(ctx))
    if courier is None or courier.redis is not ctx.redis:
        courier = Courier(redis=ctx.redis, mailer=mailer_from_url(ctx.settings.mail_url),
                          sender=ctx.settings.mail_sender, max_age=ctx.settings.mail_max_age_seconds)
        _couriers[id(ctx)] = courier
    return courier


@job(0.5)
async def deliver_mail(ctx: WorkerContext) -> None:
    """Send queued mail (polled twice a second, so a login link arrives without noticeable delay)."""
    await courier_for(ctx).run_once()
