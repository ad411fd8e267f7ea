"""Every use case as production builds it, over memory storage, with fakes where a test
must drive the outside world.

The harness is the production container (``build_container``) with overrides: a manual
clock, sequential ids, and recording fakes for the generator (n8n's role) and the job
dispatcher (the workers'), so a test runs each step of the pipeline itself. Emails go to
the console sender, which keeps them, when the test dispatches the outbox.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from dependency_injector import providers

from manyfutures.adapters.memory.email import ConsoleEmailSender
from manyfutures.container import Container
from manyfutures.core.generation.use_cases import StartGenerationCommand
from manyfutures.core.identity.use_cases import SyncMembershipCommand, SyncUserCommand
from manyfutures.core.scheduling.leases import DEFAULT_GENERATION_DEADLINE, DEFAULT_START_LEASE
from manyfutures.core.shared.actor import Actor, Role
from manyfutures.core.storage import StorageFactory, StorageUnitOfWork
from manyfutures.settings import Settings
from tests.support.builders import T0
from tests.support.container import deterministic_container
from tests.support.fakes import ManualClock, RecordingDispatcher, RecordingGenerator

# The clocks the container gives an attempt: from the claim, then from the opened run.
START_LEASE = DEFAULT_START_LEASE
DEADLINE = DEFAULT_GENERATION_DEADLINE


class Harness:
    def __init__(
        self,
        wrap_storage: Callable[[StorageFactory], Any] | None = None,
        settings: Settings | None = None,
    ) -> None:
        """``wrap_storage`` gets the real unit-of-work factory and returns the one every use
        case is built with (a test that must stop a use case half-way wraps it);
        ``settings`` choose other adapters than memory storage (PostgreSQL)."""
        self.clock = ManualClock(T0)
        self.generator = RecordingGenerator()
        self.dispatcher = RecordingDispatcher()
        self.container = container = deterministic_container(settings or Settings(), self.clock)
        container.generation.generator.override(providers.Object(self.generator))
        container.scheduling.dispatcher.override(providers.Object(self.dispatcher))
        if wrap_storage is not None:
            real = container.adapters.uow_factory()
            container.adapters.uow_factory.override(providers.Object(wrap_storage(real)))

        self.uow_factory: StorageFactory = container.adapters.uow_factory()
        self.email: ConsoleEmailSender = container.adapters.email_sender()

        self.create_project = container.projects.create_project()
        self.update_settings = container.projects.update_project_settings()
        self.pause = container.projects.pause_project()
        self.resume = container.projects.resume_project()
        self.delete = container.projects.delete_project()
        self.list_projects = container.projects.list_projects()
        self.get_project = container.projects.get_project()
        self.request_now = container.generation.request_episode_now()
        self.retry_episode = container.generation.retry_episode()
        self.report_progress = container.generation.report_progress()
        self.apply_result = container.generation.apply_generation_result()
        self.receive_callback = container.generation.receive_generation_callback()
        self.start_generation = container.generation.start_generation()
        self.add_note = container.feedback.add_planning_note()
        self.list_notes = container.feedback.list_planning_notes()
        self.archive_note = container.feedback.archive_planning_note()
        self.edit_note = container.feedback.edit_planning_note()
        self.submit_feedback = container.feedback.submit_episode_feedback()
        self.track_event = container.activity.track_event()
        self.tick = container.scheduling.scheduler_tick()
        self.outbox = container.adapters.outbox_gateway()
        self.dispatch_outbox = container.outbox.dispatch_outbox()

    def uow(self, org: str = "org_a") -> StorageUnitOfWork:
        return self.uow_factory(org)

    def member(
        self,
        org: str,
        user: str,
        role: Role = Role.MEMBER,
        tz: str = "Europe/London",
    ) -> Actor:
        return self.member_of(self.container, org, user, role, tz)

    @staticmethod
    def member_of(
        container: Container,
        org: str,
        user: str,
        role: Role = Role.MEMBER,
        tz: str = "Europe/London",
    ) -> Actor:
        """The user, their organization and membership, as Clerk's webhooks bring them."""
        email = f"{user}@example.org"
        identity = container.identity
        identity.sync_user()(SyncUserCommand(user, email, user, tz))
        identity.sync_membership()(
            SyncMembershipCommand(org, f"Org {org}", user, email, user, role)
        )
        return Actor(user, org, role)

    def run_dispatched(self) -> None:
        """Act as the worker: start every dispatched job, like RQ would."""
        jobs, self.dispatcher.dispatched = self.dispatcher.dispatched, []
        for item in jobs:
            self.start_generation(
                StartGenerationCommand(item.organization_id, item.id, item.attempt_count)
            )


@pytest.fixture
def harness() -> Harness:
    return Harness()


@pytest.fixture
def alice(harness: Harness) -> Actor:
    return harness.member("org_a", "user_alice", Role.ADMIN)


@pytest.fixture
def bob(harness: Harness) -> Actor:
    return harness.member("org_b", "user_bob")
