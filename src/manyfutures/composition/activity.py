"""Activity's use cases: tracked events, the audit log and engagement metrics."""

from __future__ import annotations

from dependency_injector import containers, providers

from manyfutures.composition.use_case import use_case
from manyfutures.core.activity.engagement import GetEngagementMetrics
from manyfutures.core.activity.use_cases import ListAuditLog, TrackEvent


class ActivityContainer(containers.DeclarativeContainer):
    adapters = providers.DependenciesContainer()

    track_event = use_case(TrackEvent, adapters)
    list_audit_log = use_case(ListAuditLog, adapters)
    get_engagement_metrics = use_case(GetEngagementMetrics, adapters)
