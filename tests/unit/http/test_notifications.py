"""Notifications, notification preferences and one-click unsubscribe over HTTP."""

from __future__ import annotations

from datetime import timedelta

from manyfutures.container import Container
from manyfutures.core.activity.model import Notification
from manyfutures.core.outbox.unsubscribe import UnsubscribeTarget
from tests.support.builders import T0
from tests.unit.http.conftest import Api, assert_problem

ALL_ON = {
    "episodeReady": {"email": True, "inApp": True},
    "generationFailed": {"email": True, "inApp": True},
    "costAlerts": {"email": True, "inApp": True},
}
PREFERENCES = "/v1/me/notification-preferences"


def notify(container: Container, user: str, org: str, count: int) -> list[str]:
    """``count`` notifications for ``user``, oldest first; their ids."""
    ids = []
    with container.adapters.uow_factory()(org) as uow:
        for i in range(count):
            notification_id = f"notif_{user.removeprefix('user_')}{i}"
            uow.notifications.add(
                Notification(
                    id=notification_id,
                    organization_id=org,
                    user_id=user,
                    kind="episode_published",
                    title=f"New episode {i}",
                    body="Summary",
                    link=f"/episodes/ep_{i}",
                    created_at=T0 + timedelta(minutes=i),
                )
            )
            ids.append(notification_id)
        uow.commit()
    return ids


def test_unread_first_with_the_unread_count_after_read_and_read_all(
    api: Api, member: Api, container: Container
) -> None:
    first, second, third = notify(container, "user_a", "org_a", 3)
    notify(container, "user_m", "org_a", 1)
    listed = api.get("/v1/notifications").get_json()
    assert listed["unreadCount"] == 3
    assert [n["id"] for n in listed["items"]] == [third, second, first]
    assert listed["items"][0] == {
        "id": third,
        "kind": "episode_published",
        "title": "New episode 2",
        "body": "Summary",
        "link": "/episodes/ep_2",
        "readAt": None,
        "createdAt": (T0 + timedelta(minutes=2)).isoformat(),
    }
    read = api.post(f"/v1/notifications/{third}/read")
    assert read.status_code == 200 and read.get_json()["readAt"] is not None
    listed = api.get("/v1/notifications?limit=2").get_json()
    assert listed["unreadCount"] == 2
    assert [n["id"] for n in listed["items"]] == [second, first]
    rest = api.get(f"/v1/notifications?limit=2&cursor={listed['nextCursor']}").get_json()
    assert ([n["id"] for n in rest["items"]], rest["nextCursor"]) == ([third], None)
    assert api.post("/v1/notifications/read-all").get_json() == {"marked": 2}
    assert api.get("/v1/notifications").get_json()["unreadCount"] == 0
    # The member's own notification was left alone.
    assert member.get("/v1/notifications").get_json()["unreadCount"] == 1


def test_another_users_notification_is_not_found(
    api: Api, member: Api, other_org: Api, container: Container
) -> None:
    (mine,) = notify(container, "user_a", "org_a", 1)
    for stranger in (member, other_org):
        assert_problem(stranger.post(f"/v1/notifications/{mine}/read"), 404, "not-found")
    assert_problem(api.post("/v1/notifications/notif_nope/read"), 404, "not-found")
    assert api.get("/v1/notifications").get_json()["unreadCount"] == 1


def test_preferences_default_on_and_change_one_switch_at_a_time(api: Api, member: Api) -> None:
    assert api.get(PREFERENCES).get_json() == ALL_ON
    changed = api.patch(PREFERENCES, json={"episodeReady": {"email": False}})
    assert changed.status_code == 200
    expected = {**ALL_ON, "episodeReady": {"email": False, "inApp": True}}
    assert changed.get_json() == expected
    assert api.get(PREFERENCES).get_json() == expected
    assert member.get(PREFERENCES).get_json() == ALL_ON  # per reader


def test_preferences_patch_validation(api: Api) -> None:
    cases = [
        ({"newsletter": {"email": False}}, "newsletter"),
        ({"episodeReady": {"sms": False}}, "episodeReady.sms"),
        ({"episodeReady": {"email": "no"}}, "episodeReady.email"),
        ({"episodeReady": {"email": None}}, "episodeReady.email"),
        ({"episodeReady": False}, "episodeReady._schema"),
        ({}, "_body"),
        ({"episodeReady": {}}, "episodeReady"),
        # A kind named with no channel, beside one that has one: refused, not ignored.
        ({"episodeReady": {}, "costAlerts": {"email": False}}, "episodeReady"),
    ]
    for body, field in cases:
        problem = assert_problem(api.patch(PREFERENCES, json=body), 422, "validation-error")
        assert field in problem["errors"], (body, problem)
    assert api.get(PREFERENCES).get_json() == ALL_ON  # nothing partly written


def unsubscribe_path(container: Container, target: UnsubscribeTarget) -> str:
    url = container.adapters.email_templates().unsubscribe_url(target)
    return url.removeprefix("http://127.0.0.1:8000")


def test_one_click_unsubscribe_needs_no_sign_in_and_a_get_changes_nothing(
    api: Api, container: Container
) -> None:
    path = unsubscribe_path(container, UnsubscribeTarget("org_a", "user_a", "episode_ready"))
    anonymous = api.client
    looked = anonymous.get(path)
    assert looked.status_code == 200
    assert looked.get_json() == {"kind": "episode_ready", "channel": "email", "unsubscribed": False}
    assert api.get(PREFERENCES).get_json() == ALL_ON
    done = anonymous.post(
        path,
        data="List-Unsubscribe=One-Click",
        content_type="application/x-www-form-urlencoded",
    )
    assert done.status_code == 200
    assert done.get_json() == {"kind": "episode_ready", "channel": "email", "unsubscribed": True}
    assert api.get(PREFERENCES).get_json() == {
        **ALL_ON,
        "episodeReady": {"email": False, "inApp": True},
    }
    audit = api.get("/v1/audit-log?action=notification_preferences.unsubscribe").get_json()
    assert [(e["userId"], e["resourceId"]) for e in audit["items"]] == [("user_a", "user_a")]


def test_a_tampered_unsubscribe_link_is_a_problem(api: Api, container: Container) -> None:
    path = unsubscribe_path(container, UnsubscribeTarget("org_a", "user_a", "episode_ready"))
    # The same link naming another reader: the signature no longer matches.
    other = unsubscribe_path(container, UnsubscribeTarget("org_a", "user_m", "episode_ready"))
    forged = other.split(".")[0] + "." + path.split(".")[1]
    for bad in (forged, path[:-1], "/unsubscribe/nonsense"):
        for method in ("GET", "POST"):
            problem = assert_problem(api.client.open(bad, method=method), 422, "validation-error")
            assert "token" in problem["errors"]
    assert api.get(PREFERENCES).get_json() == ALL_ON
