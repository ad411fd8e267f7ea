"""``manyfutures db preview TABLE``: a table's newest rows, with secrets masked.

With an organization, the rows are read the way the service reads them: in a
transaction scoped to that organization (``app.current_org_id``), and filtered by
it. Without one, across organizations, only through the operators' function
``operations_newest_rows`` (ADR 0007). Either way each row comes back as JSON
(``to_jsonb``), newest first: by ``created_at`` when the table has one, else by its
first date or time column, then by its primary key, descending.

Secrets never reach the output: a column named like a credential (``*_hash``,
``*_token``, ``*_secret``, ``*_password``: the n8n callback-token hash) is masked,
and of a table that carries message contents (the outbox) only the envelope is
shown, so a content column added later is masked until it is listed here. With
``redact``, every email address in any value, nested JSON included, is masked too.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, Date, DateTime, Table, text

from manyfutures.adapters.postgres.base import tenant_column
from manyfutures.adapters.postgres.registry import METADATA
from manyfutures.adapters.postgres.unit_of_work import SET_TENANT

DEFAULT_LIMIT = 10
MAX_LIMIT = 1000
MASK = "***"
SECRET_SUFFIXES = ("_hash", "_token", "_secret", "_password")
ENVELOPES: Mapping[str, frozenset[str]] = {
    "outbox_messages": frozenset(
        {
            "id",
            "organization_id",
            "recipient",
            "subject",
            "status",
            "attempts",
            "available_at",
            "lease_until",
            "last_error",
            "created_at",
            "sent_at",
            "dead_at",
        }
    ),
}
"""Tables whose rows carry message contents: the columns shown; any other is masked."""
EMAIL = re.compile(r"[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@([A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+)")


class PreviewError(ValueError):
    """A table or option the preview cannot serve; the message says what would."""


@dataclass(frozen=True, slots=True)
class Preview:
    table: str
    columns: Sequence[str]
    rows: Sequence[Mapping[str, Any]]


def known_tables() -> list[str]:
    return sorted(METADATA.tables)


def _table(name: str) -> Table:
    if name not in METADATA.tables:
        raise PreviewError(f"unknown table {name!r}; known tables: {', '.join(known_tables())}")
    return METADATA.tables[name]


def newest_first(table: Table) -> list[str]:
    """The columns that order a table's rows newest first."""
    times = [c.name for c in table.columns if isinstance(c.type, DateTime | Date)]
    leading = ["created_at"] if "created_at" in table.c else times[:1]
    return leading + [c.name for c in table.primary_key.columns if c.name not in leading]


def is_secret(table: str, column: str) -> bool:
    envelope = ENVELOPES.get(table)
    return column.endswith(SECRET_SUFFIXES) or (envelope is not None and column not in envelope)


def mask_email(value: str) -> str:
    return EMAIL.sub(lambda match: f"{MASK}@{match.group(1)}", value)


def _redacted(value: Any) -> Any:
    if isinstance(value, str):
        return mask_email(value)
    if isinstance(value, list):
        return [_redacted(item) for item in value]
    if isinstance(value, dict):
        return {key: _redacted(item) for key, item in value.items()}
    return value


def masked(table: str, row: Mapping[str, Any], redact: bool) -> dict[str, Any]:
    """A row as it may be shown: secrets always masked (NULL stays NULL, so an operator
    can tell a run with a token from one without), emails too when ``redact``."""
    shown = {}
    for column, value in row.items():
        if is_secret(table, column) and value is not None:
            shown[column] = MASK
        else:
            shown[column] = _redacted(value) if redact else value
    return shown


def _scoped_rows(
    connection: Connection, table: Table, organization: str, limit: int
) -> list[dict[str, Any]]:
    column = tenant_column(table)
    if column is None:
        raise PreviewError(f"{table.name} belongs to no organization: leave out --org")
    order = ", ".join(f't."{name}" DESC NULLS LAST' for name in newest_first(table))
    statement = text(
        f'SELECT to_jsonb(t) FROM "{table.name}" AS t WHERE t."{column}" = :org '
        f"ORDER BY {order} LIMIT :limit"
    )
    # One transaction (SQLAlchemy begins it with the first statement): the tenant
    # setting is transaction-local, as in the unit of work.
    connection.execute(SET_TENANT, {"org": organization})
    return list(connection.execute(statement, {"org": organization, "limit": limit}).scalars())


_NEWEST = text("SELECT operations_newest_rows(:table, :order, :limit)")


def _all_rows(connection: Connection, table: Table, limit: int) -> list[dict[str, Any]]:
    parameters = {"table": table.name, "order": newest_first(table), "limit": limit}
    return list(connection.execute(_NEWEST, parameters).scalars())


def preview(
    connection: Connection,
    name: str,
    *,
    limit: int = DEFAULT_LIMIT,
    organization: str | None = None,
    redact: bool = False,
) -> Preview:
    table = _table(name)
    if not 1 <= limit <= MAX_LIMIT:
        raise PreviewError(f"--limit must be between 1 and {MAX_LIMIT}, not {limit}")
    if organization is None:
        rows = _all_rows(connection, table, limit)
    else:
        rows = _scoped_rows(connection, table, organization, limit)
    columns = [column.name for column in table.columns]
    # A column the models do not know (a newer release's) is shown after them.
    columns += sorted({key for row in rows for key in row} - set(columns))
    # In the table's column order (jsonb keeps its keys in an order of its own).
    ordered = [{column: row[column] for column in columns if column in row} for row in rows]
    return Preview(name, columns, [masked(name, row, redact) for row in ordered])
