"""In-app notifications and the switches that decide them, through the real use cases over
memory storage: what the pipeline writes when a reader turned a kind or a channel off, the
unread count after reading, another user's notification, and one-click unsubscribe."""

from __future__ import annotations

import pytest

from manyfutures.core.notifications.model import Channel, NotificationKind, NotificationPreferences
from manyfutures.core.notifications.use_cases import (
    ListNotificationsQuery,
    NotificationCommand,
    UpdateNotificationPreferencesCommand,
)
from manyfutures.core.outbox.ports import EmailMessage
from manyfutures.core.outbox.unsubscribe import UnsubscribeTarget
from manyfutures.core.shared.actor import Actor, Role
from manyfutures.core.shared.errors import NotFoundError, ValidationError
from tests.unit.use_cases.conftest import Harness
from tests.unit.use_cases.test_cost_alerts import delivered as cost_alert_mail
from tests.unit.use_cases.test_cost_alerts import notifications as cost_alert_notices
from tests.unit.use_cases.test_cost_alerts import start_due
from tests.unit.use_cases.test_cost_gate import create_due_projects, set_limit
from tests.unit.use_cases.test_generation_pipeline import start_now, succeeded

READY = NotificationKind.EPISODE_READY
EMAIL, IN_APP = Channel.EMAIL, Channel.IN_APP
UNSUBSCRIBE_URL = "http://127.0.0.1:8000/unsubscribe/"  # memory mode: make run's address


def publish(harness: Harness, actor: Actor) -> None:
    harness.apply_result(succeeded(start_now(harness, actor)))


def delivered(harness: Harness) -> list[EmailMessage]:
    harness.dispatch_outbox()
    return list(harness.email.sent)


def switch(
    harness: Harness, actor: Actor, kind: NotificationKind, channel: Channel, on: bool
) -> NotificationPreferences:
    update = harness.container.notifications.update_preferences()
    return update(UpdateNotificationPreferencesCommand(actor, {(kind, channel): on}))


def unread(harness: Harness, actor: Actor) -> int:
    page = harness.container.notifications.list_notifications()(ListNotificationsQuery(actor))
    return page.unread_count


def audit_actions(harness: Harness, org: str = "org_a") -> list[tuple[str | None, str]]:
    with harness.uow(org) as uow:
        return [(a.user_id, a.action) for a in reversed(uow.audit_log.list())]


def test_every_switch_is_on_until_turned_off(harness: Harness, alice: Actor) -> None:
    preferences = harness.container.notifications.get_preferences()(alice)
    assert preferences.as_mapping() == {
        kind: {EMAIL: True, IN_APP: True} for kind in NotificationKind
    }
    publish(harness, alice)
    (mail,) = delivered(harness)
    assert mail.list_unsubscribe is not None
    assert mail.list_unsubscribe.startswith(UNSUBSCRIBE_URL)
    assert f"Stop these emails: {mail.list_unsubscribe}" in mail.text
    assert unread(harness, alice) == 1


def test_a_reader_who_turned_the_email_off_gets_the_notification_only(
    harness: Harness, alice: Actor
) -> None:
    after = switch(harness, alice, READY, EMAIL, False)
    assert not after.allows(READY, EMAIL) and after.allows(READY, IN_APP)
    assert audit_actions(harness)[-1] == (alice.user_id, "notification_preferences.update")
    publish(harness, alice)
    assert delivered(harness) == []
    with harness.uow() as uow:
        assert uow.outbox.get("outbox_1") is None  # no row written, not a row skipped
    assert unread(harness, alice) == 1


def test_a_reader_who_turned_the_app_off_gets_the_email_only(
    harness: Harness, alice: Actor
) -> None:
    switch(harness, alice, READY, IN_APP, False)
    publish(harness, alice)
    assert len(delivered(harness)) == 1
    assert unread(harness, alice) == 0


def test_a_switch_set_to_what_it_is_writes_nothing(harness: Harness, alice: Actor) -> None:
    before = audit_actions(harness)
    switch(harness, alice, READY, EMAIL, True)
    assert audit_actions(harness) == before
    with harness.uow() as uow:
        assert list(uow.notification_preferences.list_for_user(alice.user_id)) == []


def test_reading_one_then_all_brings_the_unread_count_down(harness: Harness, alice: Actor) -> None:
    for _ in range(3):
        publish(harness, alice)
    notifications = harness.container.notifications
    page = notifications.list_notifications()(ListNotificationsQuery(alice))
    assert page.unread_count == 3
    first = page.items[0]
    read = notifications.mark_notification_read()(NotificationCommand(alice, first.id))
    assert read.read_at == harness.clock.now()
    assert unread(harness, alice) == 2
    # Read first, so last on the page.
    page = notifications.list_notifications()(ListNotificationsQuery(alice))
    assert page.items[-1].id == first.id
    notifications.mark_notification_read()(NotificationCommand(alice, first.id))  # again
    assert notifications.mark_all_notifications_read()(alice) == 2
    assert unread(harness, alice) == 0
    assert notifications.mark_all_notifications_read()(alice) == 0
    actions = [action for user, action in audit_actions(harness) if user == alice.user_id]
    assert actions[-2:] == ["notification.read", "notification.read_all"]
    assert actions.count("notification.read") == 1


def test_another_users_notification_is_not_found(harness: Harness, alice: Actor) -> None:
    carol = harness.member("org_a", "user_carol")
    bob = harness.member("org_b", "user_bob")
    publish(harness, alice)
    (notification,) = harness.container.notifications.list_notifications()(
        ListNotificationsQuery(alice)
    ).items
    mark = harness.container.notifications.mark_notification_read()
    for stranger in (carol, bob):
        with pytest.raises(NotFoundError):
            mark(NotificationCommand(stranger, notification.id))
        assert unread(harness, stranger) == 0
    assert unread(harness, alice) == 1


def test_the_unsubscribe_link_turns_that_kind_of_email_off_for_its_reader(
    harness: Harness, alice: Actor
) -> None:
    publish(harness, alice)
    (mail,) = delivered(harness)
    assert mail.list_unsubscribe is not None
    token = mail.list_unsubscribe.removeprefix(UNSUBSCRIBE_URL)
    notifications = harness.container.notifications
    assert notifications.check_unsubscribe_link()(token) is READY
    assert notifications.get_preferences()(alice).allows(READY, EMAIL)  # a GET changes nothing
    assert notifications.unsubscribe()(token) is READY
    assert notifications.unsubscribe()(token) is READY  # a second click is harmless
    preferences = notifications.get_preferences()(alice)
    assert not preferences.allows(READY, EMAIL)
    assert preferences.allows(READY, IN_APP)
    assert preferences.allows(NotificationKind.GENERATION_FAILED, EMAIL)
    assert (
        audit_actions(harness).count((alice.user_id, "notification_preferences.unsubscribe")) == 1
    )
    publish(harness, alice)
    assert len(delivered(harness)) == 1  # nothing more of that kind


def test_a_link_for_a_kind_nobody_can_switch_is_refused(harness: Harness) -> None:
    templates = harness.container.adapters.email_templates()
    url = templates.unsubscribe_url(UnsubscribeTarget("org_a", "user_alice", "newsletter"))
    token = url.rsplit("/", 1)[1]
    with pytest.raises(ValidationError):
        harness.container.notifications.unsubscribe()(token)


def test_admins_who_turned_cost_alerts_off_get_none_on_that_channel(
    harness: Harness, alice: Actor
) -> None:
    carol = harness.member("org_a", "user_carol", Role.ADMIN)
    switch(harness, carol, NotificationKind.COST_ALERTS, EMAIL, False)
    switch(harness, alice, NotificationKind.COST_ALERTS, IN_APP, False)
    set_limit(harness, "3.00")
    create_due_projects(harness, alice, 2)
    start_due(harness)  # 1.50, then 3.00: the limit
    mail = cost_alert_mail(harness)
    assert mail and {to for to, _ in mail} == {f"{alice.user_id}@example.org"}
    assert cost_alert_notices(harness, carol.user_id)
    assert cost_alert_notices(harness, alice.user_id) == []
