"""``manyfutures db status``: where the database is in the migrations, and whether it matches.

The current revision is Alembic's ``alembic_version``; pending migrations are those
between it and this package's head; drift is what ``migrate.schema_drift`` finds
between the migrated schema and the models. A database at a revision this package
does not know (migrated by a newer release) has no pending list: it is *ahead*.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from alembic.script import ScriptDirectory
from sqlalchemy import Connection

from manyfutures.adapters.postgres.migrate import MIGRATIONS, current_revision, schema_drift


@dataclass(frozen=True, slots=True)
class Migration:
    revision: str
    title: str


@dataclass(frozen=True, slots=True)
class MigrationStatus:
    current: str | None
    head: str
    pending: Sequence[Migration]
    """Oldest first; empty at head, and when ``unknown``."""
    unknown: bool
    """The current revision is not among this package's migrations."""
    drift: Sequence[Any]
    """Alembic's differences between the models and the database; empty when they match."""

    @property
    def ok(self) -> bool:
        return not (self.pending or self.unknown or self.drift)


def scripts() -> ScriptDirectory:
    return ScriptDirectory(str(MIGRATIONS))


def title(revision: str) -> str:
    """A migration's one-line summary: the first line of its docstring."""
    script = scripts().get_revision(revision)
    return (script.doc or "").strip().splitlines()[0] if script and script.doc else ""


def migration_status(connection: Connection) -> MigrationStatus:
    directory = scripts()
    head = directory.get_current_head()
    assert head is not None, "the package ships no migration"
    current = current_revision(connection)
    drift = schema_drift(connection)
    if current is not None and current not in {s.revision for s in directory.walk_revisions()}:
        return MigrationStatus(current, head, (), True, drift)
    between = list(directory.iterate_revisions(head, current or "base"))
    pending = [Migration(script.revision, title(script.revision)) for script in reversed(between)]
    return MigrationStatus(current, head, pending, False, drift)


def describe(difference: Any) -> str:
    """One line for one of Alembic's comparison results (``compare_metadata``)."""
    if isinstance(difference, list):  # Alembic groups a column's modifications
        return "; ".join(describe(item) for item in difference)
    operation, *details = difference
    if operation.startswith("modify_"):
        _, table, column, _, old, new = details
        return f"{operation} {table}.{column}: {old} -> {new}"
    if operation in {"add_column", "remove_column"}:
        _, table, column = details
        return f"{operation} {table}.{column.name}"
    item = details[0]
    parent = getattr(item, "table", None)
    where = f" on {parent.name}" if parent is not None and parent is not item else ""
    return f"{operation} {getattr(item, 'name', item)}{where}"
