"""The Recorder writes into the transaction it is bound to, as the user it is bound to."""

from __future__ import annotations

from manyfutures.adapters.memory.store import InMemoryStore
from manyfutures.adapters.memory.unit_of_work import InMemoryUnitOfWorkFactory
from manyfutures.core.activity.recording import Recorder
from tests.support.builders import T0
from tests.support.fakes import SequentialIds


def test_rows_carry_the_bound_organization_actor_and_instant_and_go_with_the_commit() -> None:
    uow_factory = InMemoryUnitOfWorkFactory(InMemoryStore())
    with uow_factory("org_a") as uow:
        record = Recorder(uow, SequentialIds(), "user_1", T0)
        record.audit("project.update", "project", "proj_1", old={"title": "a"}, new={"title": "b"})
        record.event("settings_updated", {"projectId": "proj_1"})
        record.notify("user_2", "episode_published", "New episode", "Read it", link="/episodes/ep")
        uow.commit()
    with uow_factory("org_a") as uow:
        [audit] = uow.audit_log.list()
        [event] = uow.events.list()
        [notification] = uow.notifications.list_for_user("user_2")
    assert (audit.organization_id, audit.user_id, audit.created_at) == ("org_a", "user_1", T0)
    assert (audit.old_value, audit.new_value) == ('{"title": "a"}', '{"title": "b"}')
    assert (event.organization_id, event.user_id, event.event_data) == (
        "org_a",
        "user_1",
        {"projectId": "proj_1"},
    )
    assert (notification.user_id, notification.link) == ("user_2", "/episodes/ep")


def test_a_system_recorder_names_no_user_and_a_rollback_leaves_no_trace() -> None:
    uow_factory = InMemoryUnitOfWorkFactory(InMemoryStore())
    with uow_factory("org_a") as uow:
        Recorder(uow, SequentialIds(), None, T0).event("episode_failed", {"episodeId": "ep"})
        assert [e.user_id for e in uow.events.list()] == [None]
    with uow_factory("org_a") as uow:
        assert uow.events.list() == []
