"""What notifications and notification switches ask of storage, the same on every adapter:
a reader's page unread first with its cursor, the unread count, marking read, and one
stored switch per reader, kind and channel (a second save replaces the first)."""

from __future__ import annotations

from datetime import timedelta

from manyfutures.core.activity.model import Notification
from manyfutures.core.notifications.model import Channel, NotificationKind, PreferenceSetting
from tests.contract.conftest import Storage
from tests.contract.test_unit_of_work import seed
from tests.support.builders import T0

READ_AT = T0 + timedelta(hours=1)


def notification(number: int, user: str = "user_1", org: str = "org_a") -> Notification:
    return Notification(
        id=f"notif_{number:02d}",
        organization_id=org,
        user_id=user,
        kind="episode_published",
        title=f"Episode {number}",
        body="Body",
        created_at=T0 + timedelta(minutes=number),
    )


def add(storage: Storage, org: str, *notifications: Notification) -> None:
    with storage.uow(org) as uow:
        for n in notifications:
            uow.notifications.add(n)
        uow.commit()


def mark_read(storage: Storage, *numbers: int) -> None:
    with storage.uow("org_a") as uow:
        for number in numbers:
            n = uow.notifications.get(f"notif_{number:02d}")
            assert n is not None and n.mark_read(READ_AT)
            uow.notifications.update(n)
        uow.commit()


def page_ids(storage: Storage, limit: int, after: str | None = None) -> list[str]:
    with storage.uow("org_a") as uow:
        return [n.id for n in uow.notifications.page_for_user("user_1", limit, after)]


def test_a_page_is_unread_first_then_read_newest_first_within_each(storage: Storage) -> None:
    seed(storage, "org_a", "org_b")
    add(storage, "org_a", *(notification(i) for i in range(1, 6)), notification(9, "user_2"))
    add(storage, "org_b", notification(8, org="org_b"))
    mark_read(storage, 2, 4)
    assert page_ids(storage, 10) == ["notif_05", "notif_03", "notif_01", "notif_04", "notif_02"]
    # The cursor continues in its group, across from unread into read.
    assert page_ids(storage, 2) == ["notif_05", "notif_03"]
    assert page_ids(storage, 2, "notif_03") == ["notif_01", "notif_04"]
    assert page_ids(storage, 2, "notif_04") == ["notif_02"]
    # Another user's (or organization's) notification is no cursor at all.
    assert page_ids(storage, 2, "notif_09") == []
    assert page_ids(storage, 2, "notif_08") == []
    with storage.uow("org_a") as uow:
        assert uow.notifications.count_unread("user_1") == 3
        assert uow.notifications.count_unread("user_2") == 1
        read = uow.notifications.get("notif_02")
        assert read is not None and read.read_at == READ_AT
    with storage.uow("org_b") as uow:
        assert uow.notifications.get("notif_01") is None


def test_mark_all_read_marks_only_the_readers_unread_ones(storage: Storage) -> None:
    seed(storage, "org_a")
    add(storage, "org_a", *(notification(i) for i in range(1, 4)), notification(9, "user_2"))
    mark_read(storage, 1)
    later = READ_AT + timedelta(hours=1)
    with storage.uow("org_a") as uow:
        assert uow.notifications.mark_all_read("user_1", later) == 2
        uow.commit()
    with storage.uow("org_a") as uow:
        assert uow.notifications.count_unread("user_1") == 0
        assert uow.notifications.count_unread("user_2") == 1
        times = {n.id: n.read_at for n in uow.notifications.list_for_user("user_1")}
        assert times == {"notif_01": READ_AT, "notif_02": later, "notif_03": later}
        assert uow.notifications.mark_all_read("user_1", later) == 0


def setting(
    setting_id: str,
    enabled: bool,
    user: str = "user_1",
    org: str = "org_a",
    kind: NotificationKind = NotificationKind.EPISODE_READY,
    channel: Channel = Channel.EMAIL,
) -> PreferenceSetting:
    return PreferenceSetting(
        id=setting_id,
        organization_id=org,
        user_id=user,
        kind=kind,
        channel=channel,
        enabled=enabled,
        updated_at=T0,
    )


def test_a_switch_is_stored_once_per_reader_kind_and_channel(storage: Storage) -> None:
    seed(storage, "org_a", "org_b")
    in_app = setting("npref_3", False, channel=Channel.IN_APP)
    with storage.uow("org_a") as uow:
        uow.notification_preferences.save(setting("npref_1", False))
        uow.notification_preferences.save(in_app)
        uow.notification_preferences.save(setting("npref_4", False, user="user_2"))
        uow.commit()
    with storage.uow("org_b") as uow:
        uow.notification_preferences.save(setting("npref_5", False, org="org_b"))
        uow.commit()
    # Saved again (later, in another unit of work): replaced, keeping the first id.
    with storage.uow("org_a") as uow:
        uow.notification_preferences.save(setting("npref_2", True))
        uow.commit()
    with storage.uow("org_a") as uow:
        stored = list(uow.notification_preferences.list_for_user("user_1"))
    assert stored == [setting("npref_1", True), in_app]


def test_two_first_saves_of_one_switch_both_land(storage: Storage) -> None:
    """Two readers' tabs saving the same switch at once: the later commit wins, no error."""
    seed(storage, "org_a")
    first, second = storage.uow("org_a"), storage.uow("org_a")
    with first as a:
        a.notification_preferences.list_for_user("user_1")
        a.notification_preferences.save(setting("npref_1", False))
        with second as b:
            b.notification_preferences.list_for_user("user_1")
            b.notification_preferences.save(setting("npref_2", True))
            b.commit()
        a.commit()
    with storage.uow("org_a") as uow:
        (stored,) = uow.notification_preferences.list_for_user("user_1")
    assert stored.enabled is False
