"""Telling an organization's admins that its day nears, or reached, its cost limit.

The gate decides when an alert is owed, once per organization and UTC day per kind
(core/costs/budget.py, ``CostAlert``), and records it on the day under the day's lock;
this writes it, in the same transaction: an in-app notification and an email (through
the outbox) to each admin, as each chose (core/notifications), and for the warning an
``approaching_limit`` event (the limit's own event, ``daily_limit_exceeded``, is recorded
where the breaker opens, spending.py). Rolled back with the step that crossed the
threshold, it is owed again to whichever step crosses it next.
"""

from __future__ import annotations

from datetime import datetime

from manyfutures.core.activity.recording import Recorder
from manyfutures.core.costs.budget import AlertKind, CostAlert
from manyfutures.core.generation.ports import GenerationUnitOfWork
from manyfutures.core.notifications.model import NotificationKind
from manyfutures.core.notifications.telling import Notice, Reader, tell
from manyfutures.core.outbox.emails import DailyCostApproaching, DailyCostLimitReached
from manyfutures.core.outbox.ports import EmailTemplates
from manyfutures.core.shared.app_pages import ORGANIZATION_PAGE
from manyfutures.core.shared.ports import IdGenerator

APPROACHING_LIMIT = "approaching_limit"
NOTIFICATION_KINDS = {
    AlertKind.APPROACHING: "daily_cost_approaching",
    AlertKind.LIMIT_REACHED: "daily_cost_limit_reached",
}


def alert_admins(
    uow: GenerationUnitOfWork,
    ids: IdGenerator,
    templates: EmailTemplates,
    alert: CostAlert,
    now: datetime,
) -> None:
    organization = uow.organizations.get()
    name = organization.name if organization is not None else uow.organization_id
    email: DailyCostApproaching | DailyCostLimitReached
    if alert.kind is AlertKind.APPROACHING:
        email = DailyCostApproaching(name, alert.day, alert.committed_gbp, alert.limit_gbp)
        title = f"{email.percent_used} % of today's AI cost limit used"
    else:
        email = DailyCostLimitReached(name, alert.day, alert.committed_gbp, alert.limit_gbp)
        title = "Today's AI cost limit is reached"
    body = (
        f"£{alert.committed_gbp:.2f} of £{alert.limit_gbp:.2f} committed on "
        f"{alert.day.isoformat()} (UTC)"
    )
    notice = Notice(NOTIFICATION_KINDS[alert.kind], title, body, link=ORGANIZATION_PAGE)
    for admin in uow.memberships.admins():
        user = uow.users.get(admin.user_id)
        address = user.email if user is not None and user.email else None
        reader = Reader(admin.user_id, address)
        tell(uow, ids, templates, reader, NotificationKind.COST_ALERTS, notice, email, now)
    record = Recorder(uow, ids, None, now)
    if alert.kind is AlertKind.APPROACHING:
        record.event(
            APPROACHING_LIMIT,
            {
                "day": alert.day.isoformat(),
                "committedGbp": str(alert.committed_gbp),
                "limitGbp": str(alert.limit_gbp),
            },
        )
