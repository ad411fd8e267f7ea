"""What a generation run may spend, and what it did: the cost gate on the run's path.

A run is opened only with its maximum cost (``maxCostGbp``) reserved on today's UTC
budget, in the transaction that opens it; the usage it reports settles that
reservation, and a run that ends without reporting any (a failure without usage, a
timeout, a newer attempt taking over) releases it. The rules are core/costs'; this
module reads the organization's limit for them and acts on what happened: when the
day's breaker opens, the slots still waiting for today are blocked and
``daily_limit_exceeded`` is recorded; ``cost_overrun`` when a run reports more than it
reserved; and the admins are alerted when the gate says an alert is owed
(cost_alerts.py).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime
from decimal import Decimal

from manyfutures.core.activity.recording import Recorder
from manyfutures.core.costs import gate
from manyfutures.core.costs.budget import day_start, next_reset, utc_day
from manyfutures.core.costs.model import Operation
from manyfutures.core.generation.cost_alerts import alert_admins
from manyfutures.core.generation.ports import GenerationUnitOfWork
from manyfutures.core.outbox.ports import EmailTemplates
from manyfutures.core.shared.errors import NotFoundError
from manyfutures.core.shared.ports import IdGenerator

DAILY_LIMIT_EXCEEDED = "Daily limit exceeded"


def organization_limit(uow: GenerationUnitOfWork) -> Decimal:
    """The organization's daily cost limit; the gate's rules read it on every decision."""
    organization = uow.organizations.get()
    if organization is None:
        raise NotFoundError("organization", uow.organization_id)
    return organization.daily_cost_limit_gbp


def _breaker_opened(
    uow: GenerationUnitOfWork,
    record: Recorder,
    day: date,
    limit: Decimal,
    now: datetime,
    why: str,
    **data: str,
) -> None:
    """``day``'s breaker opened: while that day lasts its waiting slots are held back,
    and it is recorded once.

    Pending items that would be claimed before the next 00:00 UTC are blocked now, in
    the transaction that opened the breaker, rather than claimed only to be refused one
    by one. An item a claim holds at this instant is skipped; its job asks the gate,
    which refuses it the same way. A breaker opened on a day already over (usage
    reported after midnight, settled on the day its run was admitted) holds back
    nothing: today's budget is a fresh one.
    """
    blocked = 0
    if day == utc_day(now):
        for item in uow.queue.pending_due_for_update(next_reset(now)):
            item.block(DAILY_LIMIT_EXCEEDED, day_start(now))
            uow.queue.update(item)
            blocked += 1
    record.event(
        "daily_limit_exceeded",
        {
            "day": day.isoformat(),
            "limitGbp": str(limit),
            "reason": why,
            "blockedItems": blocked,
            **data,
        },
    )


def reserve_for_run(
    uow: GenerationUnitOfWork,
    ids: IdGenerator,
    templates: EmailTemplates,
    record: Recorder,
    run_id: str,
    episode_id: str,
    max_cost_gbp: Decimal,
    now: datetime,
) -> bool:
    """Reserve the run's whole ceiling on today's budget; False if the gate refused it.

    Today's budget stays locked until the caller's unit of work ends, so the run it
    then opens is admitted by exactly the budget that was read.
    """
    return reserve_for(
        uow,
        ids,
        templates,
        record,
        Operation.EPISODE_GENERATION,
        run_id,
        max_cost_gbp,
        now,
        episodeId=episode_id,
    )


def reserve_for(
    uow: GenerationUnitOfWork,
    ids: IdGenerator,
    templates: EmailTemplates,
    record: Recorder,
    operation: Operation,
    run_id: str,
    max_cost_gbp: Decimal,
    now: datetime,
    **data: str,
) -> bool:
    """``reserve_for_run`` for any operation that reports its usage under ``run_id`` (an
    assistant reply's attempt, say); ``data`` names it in a ``daily_limit_exceeded`` event."""
    limit = organization_limit(uow)
    admission = gate.reserve(
        uow,
        ids,
        operation=operation,
        amount_gbp=max_cost_gbp,
        run_id=run_id,
        limit_gbp=limit,
        now=now,
    )
    if admission.opened:
        why = "limit_reached" if admission.granted else "reservation_refused"
        _breaker_opened(uow, record, utc_day(now), limit, now, why, **data)
    if admission.alert is not None:
        alert_admins(uow, ids, templates, admission.alert, now)
    return admission.granted


def settle_run_usage(
    uow: GenerationUnitOfWork,
    ids: IdGenerator,
    templates: EmailTemplates,
    run_id: str,
    costs_gbp: Iterable[Decimal],
    now: datetime,
) -> None:
    """Charge what the run reported to the day its reservation was made; called once per
    run, right after its usage went into the ledger."""
    limit = organization_limit(uow)
    settlement = gate.settle_run(uow, run_id, sum(costs_gbp, Decimal("0")), limit, now)
    record = Recorder(uow, ids, None, now)
    if settlement.overrun_gbp:
        assert settlement.reservation is not None
        record.event(
            "cost_overrun",
            {
                "runId": run_id,
                "reservedGbp": str(settlement.reservation.amount_gbp),
                "reportedGbp": str(settlement.charged_gbp),
                "overrunGbp": str(settlement.overrun_gbp),
            },
        )
    settled_day = settlement.reservation.day if settlement.reservation else utc_day(now)
    if settlement.opened:
        why = "overrun" if settlement.overrun_gbp else "limit_reached"
        _breaker_opened(uow, record, settled_day, limit, now, why, runId=run_id)
    # The alerts speak of today; a day already over is told by its events.
    if settlement.alert is not None and settlement.alert.day == utc_day(now):
        alert_admins(uow, ids, templates, settlement.alert, now)


def release_run_reservation(uow: GenerationUnitOfWork, run_id: str, now: datetime) -> None:
    """The run ended without reporting usage: what it reserved goes back to the day.
    If it reports after all, ``settle_run_usage`` still charges it."""
    gate.release_run(uow, run_id, now)
