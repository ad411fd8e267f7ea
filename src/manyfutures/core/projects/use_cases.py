"""Project use cases: create, change settings, pause, resume, delete, read."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, time

from manyfutures.core.activity.event_types import PROJECT_CREATED
from manyfutures.core.activity.recording import Recorder, changed_settings
from manyfutures.core.identity.model import DEFAULT_TIMEZONE
from manyfutures.core.identity.plans import Plan
from manyfutures.core.projects.cadence import DEFAULT_DELIVERY_TIME, MONDAY, Cadence
from manyfutures.core.projects.last_write_wins import last_write_wins
from manyfutures.core.projects.model import Project, validate_brief, validate_title
from manyfutures.core.projects.plan_limit import (
    lock_the_plan,
    require_room_for_an_active_project,
)
from manyfutures.core.projects.ports import ProjectStore, ProjectsUnitOfWork
from manyfutures.core.scheduling.ports import QueueStore
from manyfutures.core.scheduling.queue import QueueStatus
from manyfutures.core.scheduling.slots import ensure_slot
from manyfutures.core.shared.actor import Actor
from manyfutures.core.shared.errors import FieldErrors, NotFoundError
from manyfutures.core.shared.paging import check_page_size
from manyfutures.core.shared.ports import Clock, IdGenerator
from manyfutures.core.shared.unit_of_work import UnitOfWorkFactory
from manyfutures.core.shared.use_case import UseCase


def load_project(uow: ProjectStore, project_id: str, locked: bool = False) -> Project:
    project = uow.projects.get_for_update(project_id) if locked else uow.projects.get(project_id)
    if project is None:
        raise NotFoundError("project", project_id)
    return project


@dataclass(frozen=True, slots=True)
class CreateProjectCommand:
    actor: Actor
    title: str
    brief: str
    cadence_mode: str = "weekly"
    days: tuple[int, ...] = (MONDAY,)
    delivery_time: str | None = None
    timezone: str | None = None
    deliver_first_now: bool = False


class _HeldToThePlan(UseCase[ProjectsUnitOfWork]):
    """A use case that makes a project active, within the plan's limit (plan_limit.py)."""

    def __init__(
        self,
        uow: UnitOfWorkFactory[ProjectsUnitOfWork],
        clock: Clock,
        ids: IdGenerator,
        plan_defaults: Plan,
    ) -> None:
        super().__init__(uow, clock, ids)
        self._plan_defaults = plan_defaults


class CreateProject(_HeldToThePlan):
    """New projects default to weekly on Monday 09:00 in the creator's time zone; one
    past the plan's active projects is refused."""

    def __call__(self, command: CreateProjectCommand) -> Project:
        with self._uow(command.actor.organization_id) as uow:
            project = create_project_in(
                uow, self._ids, self._plan_defaults, command, self._clock.now()
            )
            uow.commit()
            return project


def create_project_in(
    uow: ProjectsUnitOfWork,
    ids: IdGenerator,
    plan_defaults: Plan,
    command: CreateProjectCommand,
    now: datetime,
) -> Project:
    """Create the project inside the caller's unit of work, by the same rules wherever a
    project comes from (the API, or a completed onboarding, which commits both at once)."""
    actor = command.actor
    record = Recorder(uow, ids, actor.user_id, now)
    user = uow.users.get(actor.user_id)
    timezone = command.timezone or (user.timezone if user else DEFAULT_TIMEZONE)
    errors = FieldErrors()
    title = errors.check(lambda: validate_title(command.title))
    brief = errors.check(lambda: validate_brief(command.brief))
    cadence = errors.check(
        lambda: Cadence.create(
            command.cadence_mode,
            command.days,
            command.delivery_time or DEFAULT_DELIVERY_TIME,
            timezone,
        )
    )
    errors.raise_if_any("the project is not valid")
    assert title is not None and brief is not None and cadence is not None
    require_room_for_an_active_project(uow, lock_the_plan(uow, plan_defaults))
    first_slot = now if command.deliver_first_now else cadence.next_occurrence(now)
    project = Project(
        id=ids.new_id("proj"),
        organization_id=actor.organization_id,
        created_by=actor.user_id,
        title=title,
        onboarding_brief=brief,
        cadence=cadence,
        next_scheduled_at=first_slot,
        created_at=now,
        updated_at=now,
    )
    uow.projects.add(project)
    ensure_slot(uow, ids, project, first_slot, now)
    record.event(PROJECT_CREATED, {"projectId": project.id})
    record.audit("project.create", "project", project.id, new=project.settings_snapshot())
    return project


@dataclass(frozen=True, slots=True)
class UpdateProjectSettingsCommand:
    """Fields left as ``None`` keep their current value."""

    actor: Actor
    project_id: str
    expected_version: int | None
    title: str | None = None
    brief: str | None = None
    cadence_mode: str | None = None
    days: tuple[int, ...] | None = None
    delivery_time: str | None = None
    timezone: str | None = None


class UpdateProjectSettings(UseCase[ProjectsUnitOfWork]):
    def __call__(self, command: UpdateProjectSettingsCommand) -> Project:
        return last_write_wins(
            lambda locked: self._change(command, locked), command.expected_version
        )

    def _change(self, command: UpdateProjectSettingsCommand, locked: bool) -> Project:
        actor = command.actor
        now = self._clock.now()
        with self._uow(actor.organization_id) as uow:
            record = Recorder(uow, self._ids, actor.user_id, now)
            project = load_project(uow, command.project_id, locked)
            project.check_version(command.expected_version)
            errors = FieldErrors()
            title = errors.check(lambda: validate_title(_or(command.title, project.title)))
            brief = errors.check(
                lambda: validate_brief(_or(command.brief, project.onboarding_brief))
            )
            cadence = errors.check(lambda: _merged_cadence(project.cadence, command))
            errors.raise_if_any("the settings are not valid")
            assert title is not None and brief is not None and cadence is not None
            before = project.settings_snapshot()
            reschedule = cadence != project.cadence
            project.title, project.onboarding_brief, project.cadence = title, brief, cadence
            old, new = changed_settings(before, project.settings_snapshot())
            if not new:
                return project
            project.touch(now)
            if reschedule:
                _move_upcoming_slot(uow, self._ids, project, now)
            uow.projects.update(project)
            record.audit("project.update", "project", project.id, old=old, new=new)
            record.event("settings_updated", {"projectId": project.id, "changed": list(new)})
            uow.commit()
            return project


def _or(given: str | None, current: str) -> str:
    return current if given is None else given


def _merged_cadence(current: Cadence, command: UpdateProjectSettingsCommand) -> Cadence:
    mode_changed = command.cadence_mode is not None and command.cadence_mode != current.mode
    if command.days is not None:
        days = command.days
    else:
        # A new mode brings its own days (weekdays, daily); keep them only within a mode.
        days = () if mode_changed else current.days
    delivery: time | str = (
        command.delivery_time if command.delivery_time is not None else current.delivery_time
    )
    return Cadence.create(
        command.cadence_mode or current.mode, days, delivery, command.timezone or current.timezone
    )


def _move_upcoming_slot(
    uow: ProjectsUnitOfWork, ids: IdGenerator, project: Project, now: datetime
) -> None:
    """Move the not-yet-due upcoming slot to the new cadence's next occurrence.

    A slot that is already due is left alone: it still runs, and the next tick
    advances the project using the new cadence. Paused projects have no slot.
    """
    old_slot = project.next_scheduled_at
    if old_slot is None or old_slot <= now:
        return
    new_slot = project.cadence.next_occurrence(now)
    project.next_scheduled_at = new_slot
    item = uow.queue.find_for_slot(project.id, old_slot)
    if item is None or item.status is not QueueStatus.PENDING or item.attempt_count:
        ensure_slot(uow, ids, project, new_slot, now)
        return
    item.reschedule(new_slot)
    uow.queue.update(item)
    episode = uow.episodes.get(item.episode_id)
    if episode is not None:
        episode.scheduled_for = new_slot
        episode.updated_at = now
        uow.episodes.update(episode)


def cancel_pending_items(uow: QueueStore, project_id: str) -> int:
    """Slots that have not started; a running one finishes (its job cancels itself if
    it finds the project no longer active)."""
    cancelled = 0
    for item in uow.queue.list_for_project(project_id):
        if item.status is QueueStatus.PENDING or item.status is QueueStatus.BLOCKED:
            item.cancel()
            uow.queue.update(item)
            cancelled += 1
    return cancelled


@dataclass(frozen=True, slots=True)
class ProjectCommand:
    actor: Actor
    project_id: str
    expected_version: int | None = None


class PauseProject(UseCase[ProjectsUnitOfWork]):
    """Stops deliveries; slots that have not started are cancelled, running ones finish."""

    def __call__(self, command: ProjectCommand) -> Project:
        return last_write_wins(
            lambda locked: self._change(command, locked), command.expected_version
        )

    def _change(self, command: ProjectCommand, locked: bool) -> Project:
        now = self._clock.now()
        with self._uow(command.actor.organization_id) as uow:
            record = Recorder(uow, self._ids, command.actor.user_id, now)
            project = load_project(uow, command.project_id, locked)
            project.check_version(command.expected_version)
            project.pause(now)
            cancelled = cancel_pending_items(uow, project.id)
            uow.projects.update(project)
            record.audit("project.pause", "project", project.id, old="ACTIVE", new="PAUSED")
            record.event("project_paused", {"projectId": project.id, "cancelledSlots": cancelled})
            uow.commit()
            return project


class ResumeProject(_HeldToThePlan):
    """Deliveries restart from the next occurrence; missed slots are not replayed. A
    resume past the plan's active projects is refused."""

    def __call__(self, command: ProjectCommand) -> Project:
        return last_write_wins(
            lambda locked: self._change(command, locked), command.expected_version
        )

    def _change(self, command: ProjectCommand, locked: bool) -> Project:
        now = self._clock.now()
        with self._uow(command.actor.organization_id) as uow:
            record = Recorder(uow, self._ids, command.actor.user_id, now)
            # The organization's lock before the project's: the order every holder keeps.
            plan = lock_the_plan(uow, self._plan_defaults)
            project = load_project(uow, command.project_id, locked)
            project.check_version(command.expected_version)
            project.resume(now)  # a project that is not paused is a 409, whatever the count
            # Counted as stored, where this project is still paused.
            require_room_for_an_active_project(uow, plan)
            project.next_scheduled_at = project.cadence.next_occurrence(now)
            ensure_slot(uow, self._ids, project, project.next_scheduled_at, now)
            uow.projects.update(project)
            record.audit("project.resume", "project", project.id, old="PAUSED", new="ACTIVE")
            record.event("project_resumed", {"projectId": project.id})
            uow.commit()
            return project


class DeleteProject(UseCase[ProjectsUnitOfWork]):
    """Soft delete: the row stays for audit, but normal reads never see it again."""

    def __call__(self, command: ProjectCommand) -> None:
        last_write_wins(lambda locked: self._change(command, locked), command.expected_version)

    def _change(self, command: ProjectCommand, locked: bool) -> None:
        now = self._clock.now()
        with self._uow(command.actor.organization_id) as uow:
            record = Recorder(uow, self._ids, command.actor.user_id, now)
            project = load_project(uow, command.project_id, locked)
            project.check_version(command.expected_version)
            before = project.status.value
            project.soft_delete(command.actor.user_id, now)
            cancel_pending_items(uow, project.id)
            uow.projects.update(project)
            record.audit("project.delete", "project", project.id, old=before, new="DELETED")
            record.event("project_deleted", {"projectId": project.id})
            uow.commit()


@dataclass(frozen=True, slots=True)
class ListProjectsQuery:
    actor: Actor
    limit: int = 20
    after_id: str | None = None


class ListProjects(UseCase[ProjectsUnitOfWork]):
    def __call__(self, query: ListProjectsQuery) -> Sequence[Project]:
        limit = check_page_size(query.limit)
        with self._uow(query.actor.organization_id) as uow:
            return uow.projects.list(limit, query.after_id)


class GetProject(UseCase[ProjectsUnitOfWork]):
    def __call__(self, command: ProjectCommand) -> Project:
        with self._uow(command.actor.organization_id) as uow:
            return load_project(uow, command.project_id)
