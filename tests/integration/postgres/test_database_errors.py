"""What a refusal by the database becomes in the unit of work.

A missing parent is a domain outcome (``NotFoundError``). A privilege or row-level
security refusal never is: ``check_tenant`` refuses cross-tenant writes in Python
first, so one from the server is a bug, and must surface as one (a 500 that
monitoring sees), not pass for the client's fault as a 403.
"""

from __future__ import annotations

import pytest
from sqlalchemy import text
from sqlalchemy.exc import ProgrammingError

from manyfutures.adapters.postgres.unit_of_work import PostgresUnitOfWork
from manyfutures.core.shared.errors import DuplicateError, NotFoundError
from tests.integration.postgres.database import MigratedDatabase
from tests.support import builders as b

pytestmark = pytest.mark.integration


def test_a_reference_to_a_missing_parent_is_not_found(db: MigratedDatabase) -> None:
    with PostgresUnitOfWork(db.app_engine, "org_a") as uow:
        uow.organizations.add(b.organization("org_a"))
        uow.commit()
    with PostgresUnitOfWork(db.app_engine, "org_a") as uow:
        uow.episodes.add(b.episode("ep_1", "proj_missing", org="org_a"))
        with pytest.raises(NotFoundError) as raised:
            uow.commit()
    # The client reads this message (404 problem detail): no constraint, table or column.
    assert "fk_" not in str(raised.value) and "episodes" not in str(raised.value)
    assert raised.value.kind == "a referenced record"
    with PostgresUnitOfWork(db.app_engine, "org_a") as uow:
        assert uow.episodes.get("ep_1") is None


def test_a_duplicate_key_names_no_constraint_column_or_value(db: MigratedDatabase) -> None:
    with PostgresUnitOfWork(db.app_engine, "org_a") as uow:
        uow.organizations.add(b.organization("org_a"))
        uow.projects.add(b.project("proj_1"))
        uow.episodes.add(b.episode("ep_1"))
        uow.queue.add(b.queue_item("queue_1"))
        uow.commit()
    with PostgresUnitOfWork(db.app_engine, "org_a") as uow:
        uow.queue.add(b.queue_item("queue_2"))  # the same live slot
        with pytest.raises(DuplicateError) as raised:
            uow.commit()
    message = str(raised.value)
    assert not any(leak in message for leak in ("uq_", "Key (", "scheduled_for", "proj_1"))


@pytest.mark.parametrize(
    ("statement", "refusal"),
    [
        ("UPDATE token_usage_daily SET total_tokens = 0", "permission denied"),
        (
            "INSERT INTO audit_log (id, organization_id, action, resource_type, created_at) "
            "VALUES ('audit_x', 'org_b', 'a', 'project', now())",
            "row-level security",
        ),
    ],
    ids=["privilege", "row-level security"],
)
def test_a_refusal_by_privilege_or_policy_surfaces_as_a_bug(
    db: MigratedDatabase, statement: str, refusal: str
) -> None:
    uow = PostgresUnitOfWork(db.app_engine, "org_a")
    with uow, pytest.raises(ProgrammingError, match=refusal):
        uow.now(lambda connection: connection.execute(text(statement)))
