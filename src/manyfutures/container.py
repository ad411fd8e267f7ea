"""The composition root: the one place that assembles the containers of
``manyfutures.composition`` into the application.

Each capability's use cases are reached through its own container
(``container.projects.create_project()``); the adapters they share are one container
(``container.adapters``), chosen by settings, so later work adds a branch to a selector
or one capability container and touches nothing else. Tests build this same container
and override providers (``container.adapters.clock.override(...)``) instead of wiring
a copy. Nothing is connected at import time; providers build objects on first use.
"""

from __future__ import annotations

from dataclasses import asdict

from dependency_injector import containers, providers

from manyfutures.composition.activity import ActivityContainer
from manyfutures.composition.adapters import AdaptersContainer
from manyfutures.composition.conversations import ConversationsContainer
from manyfutures.composition.costs import CostsContainer
from manyfutures.composition.feedback import FeedbackContainer
from manyfutures.composition.generation import GenerationContainer
from manyfutures.composition.http import HttpContainer
from manyfutures.composition.identity import IdentityContainer
from manyfutures.composition.memories import MemoriesContainer
from manyfutures.composition.notifications import NotificationsContainer
from manyfutures.composition.operations import OperationsContainer
from manyfutures.composition.outbox import OutboxContainer
from manyfutures.composition.projects import ProjectsContainer
from manyfutures.composition.scheduling import SchedulingContainer
from manyfutures.settings import Settings


class Container(containers.DeclarativeContainer):
    config = providers.Configuration(strict=True)

    adapters = providers.Container(AdaptersContainer, config=config)
    http = providers.Container(HttpContainer, config=config, adapters=adapters)

    projects = providers.Container(ProjectsContainer, adapters=adapters)
    generation = providers.Container(GenerationContainer, config=config, adapters=adapters)
    identity = providers.Container(
        IdentityContainer,
        adapters=adapters,
        delete_organization=projects.delete_organization,
        count_active_projects=projects.count_active_projects,
        limit_raised=generation.resume_blocked_slots,
    )
    feedback = providers.Container(FeedbackContainer, adapters=adapters)
    memories = providers.Container(MemoriesContainer, config=config, adapters=adapters)
    activity = providers.Container(ActivityContainer, adapters=adapters)
    costs = providers.Container(CostsContainer, adapters=adapters)
    outbox = providers.Container(OutboxContainer, config=config, adapters=adapters)
    conversations = providers.Container(ConversationsContainer, config=config, adapters=adapters)
    notifications = providers.Container(NotificationsContainer, config=config, adapters=adapters)
    operations = providers.Container(OperationsContainer, config=config, adapters=adapters)
    scheduling = providers.Container(
        SchedulingContainer,
        config=config,
        adapters=adapters,
        schedule_due_projects=projects.schedule_due_projects,
        recover_expired_leases=generation.recover_expired_leases,
        skip_lapsed_blocked_slots=generation.skip_lapsed_blocked_slots,
        start_generation=generation.start_generation,
    )


def build_container(settings: Settings) -> Container:
    container = Container()
    container.config.from_dict(asdict(settings))
    return container
