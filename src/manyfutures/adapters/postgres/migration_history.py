"""The migration runner's own record: every migration applied to this database, by whom.

Alembic's ``alembic_version`` keeps only the current head, so after a few releases
nobody can tell when a revision arrived, which role ran it, or which release of the
package brought it. ``migration_history`` (created by the ``database_operations``
migration) keeps one row per migration step: the revision, whether it went up or
down, when (the migration transaction's time), the database role that ran it, and the
package version. The runner (migrations/env.py) writes it, never a migration, so no
migration can forget to; ``manyfutures db history`` reads it.

The steps of one run are written at its end, inside its one transaction, so a run
that creates the table records the steps before it too, and a run that fails records
nothing. A database migrated before the table existed gets, on its first recorded
upgrade, a row for each revision it already had, marked as applied before tracking
(no time, role or version: nobody wrote them down). A downgrade past the migration
that created the table drops it with its rows.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from importlib.metadata import PackageNotFoundError, version

from sqlalchemy import Connection, text

TABLE = "migration_history"
BOOKKEEPING_TABLES = frozenset({"alembic_version", TABLE})
"""The migration runner's tables: no tenant, no model, no part of the application's schema."""


@dataclass(frozen=True, slots=True)
class Step:
    """One migration's upgrade() or downgrade(), as run."""

    revision: str
    direction: str  # "upgrade" or "downgrade"


@dataclass(frozen=True, slots=True)
class Entry:
    revision: str
    direction: str
    applied_at: dt.datetime | None
    """None (and so the role and version) for a revision applied before tracking began."""
    applied_by: str | None
    package_version: str | None


def package_version() -> str:
    try:
        return version("manyfutures")
    except PackageNotFoundError:  # running from a source tree that was never installed
        return "unknown"


_EXISTS = text("SELECT to_regclass(:table) IS NOT NULL")
_INSERT = text(
    f"INSERT INTO {TABLE} (revision, direction, applied_at, applied_by, package_version) "
    "VALUES (:revision, :direction, now(), current_user, :version)"
)
_INSERT_UNTRACKED = text(f"INSERT INTO {TABLE} (revision, direction) VALUES (:revision, 'upgrade')")
_ANY = text(f"SELECT EXISTS (SELECT 1 FROM {TABLE})")
_READ = text(
    f"SELECT revision, direction, applied_at, applied_by, package_version FROM {TABLE} ORDER BY id"
)


def exists(connection: Connection) -> bool:
    return bool(connection.execute(_EXISTS, {"table": TABLE}).scalar_one())


def record(
    connection: Connection, steps: Sequence[Step], package: str, untracked: Iterable[str]
) -> None:
    """Append ``steps`` in the order they ran; nothing while the table does not exist.

    ``untracked`` are the revisions below the first step, oldest first: written first,
    as applied before tracking, when this is the first run the table records.
    """
    if not steps or not exists(connection):
        return
    if not connection.execute(_ANY).scalar_one():
        earlier = [{"revision": revision} for revision in untracked]
        if earlier:
            connection.execute(_INSERT_UNTRACKED, earlier)
    rows = [
        {"revision": step.revision, "direction": step.direction, "version": package}
        for step in steps
    ]
    connection.execute(_INSERT, rows)


def read(connection: Connection) -> Sequence[Entry] | None:
    """Every recorded step, oldest first; None when this database has no such table yet."""
    if not exists(connection):
        return None
    return [Entry(*row) for row in connection.execute(_READ)]
