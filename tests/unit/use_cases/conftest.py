"""A harness wiring every use case to the in-memory adapters and hand-written fakes."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta

import pytest

from manyfutures.adapters.memory.email import ConsoleEmailSender
from manyfutures.adapters.memory.scheduler_gateway import InMemorySchedulerGateway
from manyfutures.adapters.memory.store import InMemoryStore
from manyfutures.adapters.memory.unit_of_work import InMemoryUnitOfWorkFactory
from manyfutures.core.activity.use_cases import TrackEvent
from manyfutures.core.feedback.use_cases import (
    AddPlanningNote,
    ArchivePlanningNote,
    ListPlanningNotes,
)
from manyfutures.core.generation.leases import RecoverExpiredLeases
from manyfutures.core.generation.use_cases import (
    ApplyGenerationResult,
    ListEpisodes,
    ReportProgress,
    RequestEpisodeNow,
    RetryEpisode,
    StartGeneration,
    StartGenerationCommand,
)
from manyfutures.core.identity.use_cases import (
    SyncMembership,
    SyncMembershipCommand,
    SyncUser,
    SyncUserCommand,
)
from manyfutures.core.projects.advance import ScheduleDueProjects
from manyfutures.core.projects.use_cases import (
    CreateProject,
    DeleteProject,
    GetProject,
    ListProjects,
    PauseProject,
    ResumeProject,
    UpdateProjectSettings,
)
from manyfutures.core.scheduling.use_cases import ClaimDueItems, RunSchedulerTick
from manyfutures.core.shared.actor import Actor, Role
from manyfutures.core.shared.backoff import RetryPolicy
from manyfutures.core.storage import StorageUnitOfWork
from tests.support.builders import T0
from tests.support.fakes import ManualClock, RecordingDispatcher, RecordingGenerator, SequentialIds

LEASE = timedelta(minutes=15)


@dataclass
class Harness:
    clock: ManualClock = field(default_factory=lambda: ManualClock(T0))
    ids: SequentialIds = field(default_factory=SequentialIds)
    store: InMemoryStore = field(default_factory=InMemoryStore)
    generator: RecordingGenerator = field(default_factory=RecordingGenerator)
    dispatcher: RecordingDispatcher = field(default_factory=RecordingDispatcher)
    email: ConsoleEmailSender = field(default_factory=ConsoleEmailSender)
    policy: RetryPolicy = field(default_factory=RetryPolicy)

    def __post_init__(self) -> None:
        uow, clock, ids = InMemoryUnitOfWorkFactory(self.store), self.clock, self.ids
        self.uow_factory = uow
        self.gateway = InMemorySchedulerGateway(self.store)
        self.create_project = CreateProject(uow, clock, ids)
        self.update_settings = UpdateProjectSettings(uow, clock, ids)
        self.pause = PauseProject(uow, clock, ids)
        self.resume = ResumeProject(uow, clock, ids)
        self.delete = DeleteProject(uow, clock, ids)
        self.list_projects = ListProjects(uow, clock, ids)
        self.get_project = GetProject(uow, clock, ids)
        self.list_episodes = ListEpisodes(uow, clock, ids)
        self.request_now = RequestEpisodeNow(uow, clock, ids)
        self.retry_episode = RetryEpisode(uow, clock, ids)
        self.add_note = AddPlanningNote(uow, clock, ids)
        self.list_notes = ListPlanningNotes(uow, clock, ids)
        self.archive_note = ArchivePlanningNote(uow, clock, ids)
        self.track_event = TrackEvent(uow, clock, ids)
        self.report_progress = ReportProgress(uow, clock, ids)
        self.apply_result = ApplyGenerationResult(uow, clock, ids, self.email, self.policy)
        self.start_generation = StartGeneration(uow, clock, ids, self.generator, self.apply_result)
        self.schedule_due = ScheduleDueProjects(uow, clock, ids, self.gateway)
        self.recover = RecoverExpiredLeases(uow, clock, ids, self.gateway, self.policy)
        self.claim = ClaimDueItems(clock, self.gateway, self.policy, LEASE)
        self.tick = RunSchedulerTick(self.schedule_due, self.recover, self.claim, self.dispatcher)

    def uow(self, org: str = "org_a") -> StorageUnitOfWork:
        return self.uow_factory(org)

    def member(
        self,
        org: str,
        user: str,
        role: Role = Role.MEMBER,
        tz: str = "Europe/London",
    ) -> Actor:
        email = f"{user}@example.org"
        SyncUser(self.uow_factory, self.clock, self.ids)(SyncUserCommand(user, email, user, tz))
        SyncMembership(self.uow_factory, self.clock, self.ids)(
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
