"""`manyfutures outbox dead`: every organization's dead messages, for operators."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest

from manyfutures.adapters.postgres.outbox import PostgresOutboxGateway
from manyfutures.adapters.postgres.unit_of_work import PostgresUnitOfWorkFactory
from manyfutures.core.outbox.use_cases import delivery_policy
from manyfutures.entrypoints.cli import main
from tests.integration.postgres.database import MigratedDatabase
from tests.support import builders as b
from tests.support.builders import T0
from tests.support.container import UNSUBSCRIBE_SECRET


@pytest.mark.integration
def test_dead_messages_of_every_organization_are_listed_newest_first(
    db: MigratedDatabase, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    factory = PostgresUnitOfWorkFactory(db.app_engine)
    for org, message_id in (("org_a", "outbox_1"), ("org_b", "outbox_2"), ("org_b", "outbox_3")):
        with factory(org) as uow:
            if uow.organizations.get() is None:
                uow.organizations.add(b.organization(org))
            uow.outbox.add(b.outbox_message(message_id, org))
            uow.commit()
    gateway = PostgresOutboxGateway(db.app_engine)
    for message in gateway.claim_due(T0, timedelta(minutes=10), 2, 8):  # outbox_3 stays pending
        message.record_failure("550 5.1.1 no such user", T0, delivery_policy(), permanent=True)
        gateway.record_failure(message)
    monkeypatch.setenv("MANYFUTURES_STORAGE", "postgres")
    monkeypatch.setenv("MANYFUTURES_UNSUBSCRIBE_SECRET", UNSUBSCRIBE_SECRET)
    monkeypatch.setenv("MANYFUTURES_ALLOW_DEV_AUTH", "true")
    monkeypatch.setenv("MANYFUTURES_APP_DATABASE_URL", db.app_url.render_as_string(False))
    assert main(["outbox", "dead"]) == 0
    lines = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert [(line["id"], line["organizationId"]) for line in lines] == [
        ("outbox_2", "org_b"),
        ("outbox_1", "org_a"),
    ]
    assert lines[0]["lastError"] == "550 5.1.1 no such user"
    assert lines[0]["deadAt"] == T0.isoformat()
    assert main(["outbox", "dead", "--limit", "1", "--after", "outbox_2"]) == 0
    assert [json.loads(line)["id"] for line in capsys.readouterr().out.splitlines()] == ["outbox_1"]


@pytest.mark.parametrize("limit", ["0", "501"])
def test_a_page_size_out_of_range_is_refused(
    limit: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["outbox", "dead", "--limit", limit]) == 2
    assert "limit must be between 1 and 500" in capsys.readouterr().err
