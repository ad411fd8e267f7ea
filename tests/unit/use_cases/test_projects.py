"""Project use cases over the in-memory adapters."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from manyfutures.core.episodes.episode import EpisodeStatus
from manyfutures.core.projects.cadence import CadenceMode
from manyfutures.core.projects.model import ProjectStatus
from manyfutures.core.projects.use_cases import (
    CreateProjectCommand,
    ListProjectsQuery,
    ProjectCommand,
    UpdateProjectSettingsCommand,
)
from manyfutures.core.scheduling.queue import QueueStatus
from manyfutures.core.shared.actor import Actor
from manyfutures.core.shared.errors import (
    NotFoundError,
    StateConflictError,
    ValidationError,
    VersionConflictError,
)
from tests.support.builders import T0
from tests.unit.use_cases.conftest import Harness

MONDAY_9_LONDON = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)  # January: London is on UTC
NEXT_MONDAY_9_LONDON = MONDAY_9_LONDON + timedelta(days=7)


def create(harness: Harness, actor: Actor, **overrides: object) -> str:
    fields: dict[str, object] = {"actor": actor, "title": "Energy", "brief": "Grid storage"}
    return harness.create_project(CreateProjectCommand(**{**fields, **overrides})).id  # type: ignore[arg-type]


class TestCreateProject:
    def test_defaults_to_weekly_monday_nine_in_the_users_zone(
        self, harness: Harness, alice: Actor
    ) -> None:
        project = harness.create_project(CreateProjectCommand(alice, " Energy ", " Grid "))
        assert (project.title, project.onboarding_brief) == ("Energy", "Grid")
        assert project.cadence.mode is CadenceMode.WEEKLY
        assert project.cadence.days == (1,)
        assert project.cadence.timezone == "Europe/London"
        assert project.next_scheduled_at == MONDAY_9_LONDON

    def test_uses_the_creators_time_zone(self, harness: Harness) -> None:
        actor = harness.member("org_ny", "user_ny", tz="America/New_York")
        project = harness.create_project(CreateProjectCommand(actor, "T", "B"))
        assert project.cadence.timezone == "America/New_York"
        assert project.next_scheduled_at == datetime(2026, 1, 5, 14, 0, tzinfo=UTC)

    def test_creates_first_draft_queue_item_event_and_audit(
        self, harness: Harness, alice: Actor
    ) -> None:
        project_id = create(harness, alice)
        with harness.uow() as uow:
            (episode,) = uow.episodes.list_for_project(project_id, limit=10)
            (item,) = uow.queue.list_for_project(project_id)
            assert episode.status is EpisodeStatus.DRAFT
            assert episode.scheduled_for == MONDAY_9_LONDON
            assert (item.status, item.episode_id, item.scheduled_for) == (
                QueueStatus.PENDING,
                episode.id,
                MONDAY_9_LONDON,
            )
            assert [e.event_data for e in uow.events.list("project_created")] == [
                {"projectId": project_id}
            ]
            (audit,) = uow.audit_log.list(action="project.create")
            assert audit.resource_id == project_id
            assert audit.user_id == alice.user_id
            assert audit.new_value is not None
            assert '"title": "Energy"' in audit.new_value

    def test_first_delivery_can_be_immediate(self, harness: Harness, alice: Actor) -> None:
        project_id = create(harness, alice, deliver_first_now=True)
        with harness.uow() as uow:
            (item,) = uow.queue.list_for_project(project_id)
            assert item.scheduled_for == T0

    def test_reports_every_invalid_field_and_writes_nothing(
        self, harness: Harness, alice: Actor
    ) -> None:
        with pytest.raises(ValidationError) as caught:
            create(
                harness,
                alice,
                title=" ",
                brief="",
                cadence_mode="custom",
                days=(),
                timezone="Mars/Olympus",
            )
        assert set(caught.value.field_errors) == {"title", "brief", "timezone"}
        with pytest.raises(ValidationError) as caught:
            create(harness, alice, cadence_mode="custom", days=(), delivery_time="25:00")
        assert set(caught.value.field_errors) == {"deliveryTime"}
        with harness.uow() as uow:
            assert list(uow.projects.list(limit=10)) == []
            assert list(uow.events.list()) == []


class TestUpdateSettings:
    def test_moves_the_upcoming_slot_and_audits_old_and_new(
        self, harness: Harness, alice: Actor
    ) -> None:
        project_id = create(harness, alice)
        updated = harness.update_settings(
            UpdateProjectSettingsCommand(
                alice, project_id, expected_version=1, cadence_mode="daily", delivery_time="07:30"
            )
        )
        tomorrow_0730 = datetime(2026, 1, 6, 7, 30, tzinfo=UTC)
        assert updated.version == 2
        assert updated.next_scheduled_at == tomorrow_0730
        with harness.uow() as uow:
            (item,) = uow.queue.list_for_project(project_id)
            (episode,) = uow.episodes.list_for_project(project_id, limit=10)
            assert item.scheduled_for == item.available_at == tomorrow_0730
            assert episode.scheduled_for == tomorrow_0730
            (audit,) = uow.audit_log.list(action="project.update")
            assert audit.old_value == (
                '{"cadence": {"days": [1], "mode": "weekly"}, "deliveryTime": "09:00"}'
            )
            assert audit.new_value == (
                '{"cadence": {"days": [0, 1, 2, 3, 4, 5, 6], "mode": "daily"}, '
                '"deliveryTime": "07:30"}'
            )
            (event,) = uow.events.list("settings_updated")
            assert event.event_data["changed"] == ["cadence", "deliveryTime"]

    def test_stale_version_is_a_conflict_and_changes_nothing(
        self, harness: Harness, alice: Actor
    ) -> None:
        project_id = create(harness, alice)
        harness.update_settings(UpdateProjectSettingsCommand(alice, project_id, 1, title="New"))
        with pytest.raises(VersionConflictError):
            harness.update_settings(UpdateProjectSettingsCommand(alice, project_id, 1, title="X"))
        project = harness.get_project(ProjectCommand(alice, project_id))
        assert (project.title, project.version) == ("New", 2)

    def test_title_only_change_keeps_the_schedule(self, harness: Harness, alice: Actor) -> None:
        project_id = create(harness, alice)
        harness.update_settings(UpdateProjectSettingsCommand(alice, project_id, None, title="T2"))
        with harness.uow() as uow:
            (item,) = uow.queue.list_for_project(project_id)
            assert item.scheduled_for == MONDAY_9_LONDON

    def test_no_change_writes_no_audit(self, harness: Harness, alice: Actor) -> None:
        project_id = create(harness, alice)
        same = harness.update_settings(
            UpdateProjectSettingsCommand(alice, project_id, 1, title="Energy")
        )
        assert same.version == 1
        with harness.uow() as uow:
            assert list(uow.audit_log.list(action="project.update")) == []

    def test_invalid_settings_are_rejected_without_a_write(
        self, harness: Harness, alice: Actor
    ) -> None:
        project_id = create(harness, alice)
        with pytest.raises(ValidationError) as caught:
            harness.update_settings(
                UpdateProjectSettingsCommand(
                    alice, project_id, 1, title="", cadence_mode="weekly", days=(1, 2)
                )
            )
        assert set(caught.value.field_errors) == {"title", "days"}
        assert harness.get_project(ProjectCommand(alice, project_id)).version == 1

    def test_a_due_slot_is_not_moved_away(self, harness: Harness, alice: Actor) -> None:
        project_id = create(harness, alice)
        harness.clock.set(MONDAY_9_LONDON + timedelta(seconds=30))
        harness.update_settings(
            UpdateProjectSettingsCommand(alice, project_id, 1, cadence_mode="daily")
        )
        with harness.uow() as uow:
            (item,) = uow.queue.list_for_project(project_id)
            assert item.scheduled_for == MONDAY_9_LONDON


class TestPauseResumeDelete:
    def test_pause_cancels_upcoming_and_resume_reuses_the_draft(
        self, harness: Harness, alice: Actor
    ) -> None:
        project_id = create(harness, alice)
        paused = harness.pause(ProjectCommand(alice, project_id))
        assert (paused.status, paused.next_scheduled_at) == (ProjectStatus.PAUSED, None)
        with harness.uow() as uow:
            (item,) = uow.queue.list_for_project(project_id)
            assert item.status is QueueStatus.CANCELLED
        harness.clock.advance(timedelta(days=8))
        resumed = harness.resume(ProjectCommand(alice, project_id))
        assert resumed.status is ProjectStatus.ACTIVE
        assert resumed.next_scheduled_at == datetime(2026, 1, 19, 9, 0, tzinfo=UTC)
        with harness.uow() as uow:
            live = [
                i for i in uow.queue.list_for_project(project_id) if i.status is QueueStatus.PENDING
            ]
            episodes = uow.episodes.list_for_project(project_id, limit=10)
            assert [i.scheduled_for for i in live] == [resumed.next_scheduled_at]
            assert len(episodes) == 1
            assert episodes[0].scheduled_for == resumed.next_scheduled_at

    def test_pause_twice_and_resume_active_are_conflicts(
        self, harness: Harness, alice: Actor
    ) -> None:
        project_id = create(harness, alice)
        with pytest.raises(StateConflictError):
            harness.resume(ProjectCommand(alice, project_id))
        harness.pause(ProjectCommand(alice, project_id))
        with pytest.raises(StateConflictError):
            harness.pause(ProjectCommand(alice, project_id))

    def test_delete_hides_the_project_and_cancels_its_slots(
        self, harness: Harness, alice: Actor
    ) -> None:
        project_id = create(harness, alice)
        harness.delete(ProjectCommand(alice, project_id))
        with pytest.raises(NotFoundError):
            harness.get_project(ProjectCommand(alice, project_id))
        assert list(harness.list_projects(ListProjectsQuery(alice))) == []
        with harness.uow() as uow:
            (item,) = uow.queue.list_for_project(project_id)
            assert item.status is QueueStatus.CANCELLED
            (audit,) = uow.audit_log.list(action="project.delete")
            assert (audit.old_value, audit.new_value) == ("ACTIVE", "DELETED")


class TestReads:
    def test_other_organizations_projects_are_not_found(
        self, harness: Harness, alice: Actor, bob: Actor
    ) -> None:
        project_id = create(harness, alice)
        with pytest.raises(NotFoundError):
            harness.get_project(ProjectCommand(bob, project_id))
        assert list(harness.list_projects(ListProjectsQuery(bob))) == []

    def test_list_pages_newest_first(self, harness: Harness, alice: Actor) -> None:
        ids = [create(harness, alice, title=f"P{n}") for n in range(5)]
        first = harness.list_projects(ListProjectsQuery(alice, limit=2))
        rest = harness.list_projects(ListProjectsQuery(alice, limit=10, after_id=first[-1].id))
        assert [p.id for p in [*first, *rest]] == list(reversed(ids))

    @pytest.mark.parametrize("limit", [0, 101])
    def test_page_size_is_bounded(self, harness: Harness, alice: Actor, limit: int) -> None:
        with pytest.raises(ValidationError):
            harness.list_projects(ListProjectsQuery(alice, limit=limit))
