"""POST /webhooks/clerk: svix-signed, applied once, and nothing changes when unsigned."""

from __future__ import annotations

import hashlib
import json
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
from dependency_injector import providers
from flask.testing import FlaskClient
from svix.webhooks import Webhook

from manyfutures.container import Container
from manyfutures.core.shared.actor import Role
from manyfutures.entrypoints.http.app import create_app
from tests.support.clerk_payloads import event, membership_data, user_data
from tests.unit.http.conftest import (
    TEST_SETTINGS,
    WEBHOOK_SECRET,
    StoreThatCannotComplete,
    assert_problem,
    build_test_container,
)

SIGNER = Webhook(WEBHOOK_SECRET)


@pytest.fixture
def container() -> Container:
    return build_test_container()


@pytest.fixture
def client(container: Container) -> FlaskClient:
    return create_app(container).test_client()


def deliver(
    client: FlaskClient,
    event: dict[str, Any],
    msg_id: str = "msg_1",
    at: datetime | None = None,
    signer: Webhook = SIGNER,
    tamper: bool = False,
) -> Any:
    body = json.dumps(event)
    timestamp = at or datetime.now(UTC)
    signature = signer.sign(msg_id, timestamp, body)
    headers = {
        "svix-id": msg_id,
        "svix-timestamp": str(int(timestamp.timestamp())),
        "svix-signature": signature,
    }
    sent = body.replace("Ada", "Eve") if tamper else body
    return client.post(
        "/webhooks/clerk", data=sent, content_type="application/json", headers=headers
    )


def user_event(kind: str = "user.created", **data: Any) -> dict[str, Any]:
    return event(kind, user_data(**data))


def membership_event(kind: str, role: str = "org:admin") -> dict[str, Any]:
    return event(kind, membership_data(role))


def user(container: Container, user_id: str = "user_ada") -> Any:
    with container.adapters.uow_factory()("") as uow:
        return uow.users.get(user_id)


def test_user_created_and_updated_sync_the_user(client: FlaskClient, container: Container) -> None:
    created = deliver(client, user_event())
    assert created.status_code == 200
    assert created.get_json() == {
        "received": True,
        "type": "user.created",
        "applied": True,
        "duplicate": False,
    }
    synced = user(container)
    assert (synced.email, synced.name, synced.timezone) == (
        "ada@example.org",
        "Ada Lovelace",
        "Europe/Rome",
    )

    deliver(
        client, user_event("user.updated", first_name="Augusta", public_metadata={}), msg_id="msg_2"
    )
    updated = user(container)
    assert (updated.name, updated.timezone) == ("Augusta Lovelace", "Europe/Rome")


def test_a_redelivered_message_is_applied_once(client: FlaskClient, container: Container) -> None:
    assert deliver(client, user_event(), msg_id="msg_same").get_json()["applied"] is True
    deliver(client, user_event("user.deleted", deleted=True), msg_id="msg_del")
    again = deliver(client, user_event(), msg_id="msg_same")
    assert again.status_code == 200
    assert again.get_json()["duplicate"] is True
    assert again.get_json()["applied"] is False
    assert user(container).deleted_at is not None  # the replayed create did not resurrect


def test_a_redelivery_answers_with_the_first_deliverys_event_type(client: FlaskClient) -> None:
    deliver(client, membership_event("organizationMembership.created"), msg_id="msg_m")
    again = deliver(client, membership_event("organizationMembership.created"), msg_id="msg_m")
    assert again.get_json() == {
        "received": True,
        "type": "organizationMembership.created",
        "applied": False,
        "duplicate": True,
    }


def test_a_message_still_being_applied_is_409_and_applied_once(
    client: FlaskClient, container: Container
) -> None:
    busy = user_event()
    fingerprint = hashlib.sha256(json.dumps(busy).encode()).hexdigest()
    container.http.idempotency_store().claim("clerk-webhook:msg_busy", fingerprint)
    assert_problem(deliver(client, busy, msg_id="msg_busy"), 409, "webhook-in-progress")
    assert user(container) is None


def test_a_store_failure_after_applying_still_acknowledges_once(
    container: Container, caplog: pytest.LogCaptureFixture
) -> None:
    failing = StoreThatCannotComplete(container.http.idempotency_store())
    container.http.idempotency_store.override(providers.Object(failing))
    client = create_app(container).test_client()

    response = deliver(client, user_event())

    assert response.status_code == 200
    assert response.get_json()["applied"] is True
    assert user(container) is not None
    assert "redis went away" in caplog.text


@pytest.mark.parametrize(
    "how",
    [
        "tampered-body",
        "wrong-secret",
        "stale",
        "from-the-future",
        "missing-headers",
        "malformed-signature",
    ],
)
def test_bad_or_stale_signatures_are_401_and_change_nothing(
    client: FlaskClient, container: Container, how: str
) -> None:
    if how == "tampered-body":
        response = deliver(client, user_event(), tamper=True)
    elif how == "wrong-secret":
        response = deliver(client, user_event(), signer=Webhook("whsec_" + "A" * 32))
    elif how == "stale":
        response = deliver(client, user_event(), at=datetime.now(UTC) - timedelta(minutes=6))
    elif how == "from-the-future":
        response = deliver(client, user_event(), at=datetime.now(UTC) + timedelta(minutes=6))
    elif how == "missing-headers":
        response = client.post("/webhooks/clerk", json=user_event())
    else:
        response = client.post(
            "/webhooks/clerk",
            json=user_event(),
            headers={
                "svix-id": "msg_x",
                "svix-timestamp": str(int(datetime.now(UTC).timestamp())),
                "svix-signature": "nonsense",
            },
        )
    body = assert_problem(response, 401, "unauthenticated")
    assert "signature" in body["detail"]
    assert user(container) is None


def test_a_signature_four_minutes_old_is_still_fine(
    client: FlaskClient, container: Container
) -> None:
    response = deliver(client, user_event(), at=datetime.now(UTC) - timedelta(minutes=4))
    assert response.status_code == 200
    assert user(container) is not None


def test_membership_before_user_and_organization_creates_both(
    client: FlaskClient, container: Container
) -> None:
    assert deliver(client, membership_event("organizationMembership.created")).get_json()["applied"]
    with container.adapters.uow_factory()("org_acme") as uow:
        organization = uow.organizations.get()
        membership = uow.memberships.get_for_user("user_ada")
    assert organization is not None and organization.name == "Acme"
    assert membership is not None and membership.role is Role.ADMIN
    assert user(container).email == "ada@example.org"

    deliver(
        client,
        membership_event("organizationMembership.updated", role="org:member"),
        msg_id="msg_2",
    )
    with container.adapters.uow_factory()("org_acme") as uow:
        assert uow.memberships.get_for_user("user_ada").role is Role.MEMBER
        actions = [row.action for row in sorted(uow.audit_log.list(), key=lambda r: r.id)]
    assert actions == ["organization.create", "membership.create", "membership.update"]

    deleted = deliver(client, membership_event("organizationMembership.deleted"), msg_id="msg_3")
    assert deleted.get_json()["applied"] is True
    with container.adapters.uow_factory()("org_acme") as uow:
        assert uow.memberships.get_for_user("user_ada") is None


def test_organization_created_updated_deleted(client: FlaskClient, container: Container) -> None:
    def org_event(kind: str, **data: Any) -> dict[str, Any]:
        return {"type": kind, "data": {"id": "org_acme", "name": "Acme", **data}}

    deliver(client, org_event("organization.created"), msg_id="m1")
    deliver(client, org_event("organization.updated", name="Acme Ltd"), msg_id="m2")
    with container.adapters.uow_factory()("org_acme") as uow:
        assert uow.organizations.get().name == "Acme Ltd"
    deliver(
        client,
        {"type": "organization.deleted", "data": {"id": "org_acme", "deleted": True}},
        msg_id="m3",
    )
    late = deliver(client, org_event("organization.updated", name="Zombie"), msg_id="m4")
    assert late.get_json()["applied"] is False
    with container.adapters.uow_factory()("org_acme") as uow:
        stored = uow.organizations.get()
    assert stored.deleted_at is not None and stored.name == "Acme Ltd"


def test_a_plan_in_clerk_metadata_is_applied_and_a_malformed_one_is_not_a_500(
    client: FlaskClient, container: Container
) -> None:
    def org_event(name: str, plan: Any) -> dict[str, Any]:
        metadata = {"plan": plan}
        return {
            "type": "organization.updated",
            "data": {"id": "org_acme", "name": name, "public_metadata": metadata},
        }

    plan = {"maxActiveProjects": 25, "dailyLimitCeilingGbp": "1000.00"}
    assert deliver(client, org_event("Acme", plan), msg_id="m1").get_json()["applied"]
    malformed = deliver(client, org_event("Acme Ltd", {"maxActiveProjects": "lots"}), msg_id="m2")
    assert malformed.status_code == 200
    assert malformed.get_json()["applied"]
    with container.adapters.uow_factory()("org_acme") as uow:
        stored = uow.organizations.get()
    assert stored is not None
    assert (stored.name, stored.max_active_projects, stored.daily_limit_ceiling_gbp) == (
        "Acme Ltd",
        25,
        Decimal("1000.00"),
    )


def test_unknown_event_types_are_acknowledged(client: FlaskClient) -> None:
    response = deliver(client, {"type": "session.created", "data": {"id": "sess_1"}})
    assert response.status_code == 200
    assert response.get_json() == {
        "received": True,
        "type": "session.created",
        "applied": False,
        "duplicate": False,
    }


def test_a_signed_but_malformed_payload_is_422_and_can_be_redelivered(
    client: FlaskClient,
) -> None:
    bad = deliver(
        client, {"type": "user.created", "data": {"first_name": "No id"}}, msg_id="msg_bad"
    )
    assert_problem(bad, 422, "validation-error")
    assert_problem(deliver(client, {"data": {}}, msg_id="msg_notype"), 422, "validation-error")
    # The claim was released: a corrected redelivery of the same message id is applied.
    fixed = deliver(client, user_event(), msg_id="msg_bad")
    assert fixed.get_json()["applied"] is True


def test_without_a_signing_secret_every_webhook_is_refused() -> None:
    container = build_test_container(replace(TEST_SETTINGS, clerk_webhook_signing_secret=""))
    client = create_app(container).test_client()
    body = assert_problem(deliver(client, user_event()), 401, "unauthenticated")
    assert "CLERK_WEBHOOK_SIGNING_SECRET" in body["detail"]


def test_a_reused_message_id_with_a_different_body_is_422(
    client: FlaskClient, container: Container
) -> None:
    assert deliver(client, user_event(), msg_id="msg_same").status_code == 200
    other = deliver(client, user_event(first_name="Grace"), msg_id="msg_same")
    assert_problem(other, 422, "webhook-id-reused")
    assert user(container).name == "Ada Lovelace"


def test_a_signed_payload_with_a_nul_character_is_422_and_writes_nothing(
    client: FlaskClient, container: Container
) -> None:
    bad = deliver(client, user_event(first_name="A\x00da"), msg_id="msg_nul")
    body = assert_problem(bad, 422, "validation-error")
    assert list(body["errors"]) == ["data.first_name"]
    assert user(container) is None
