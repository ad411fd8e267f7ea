"""What every table shares: the declarative base, its conventions and column types.

Each capability module (``identity``, ``projects``, …) declares its own table rows on
this ``Base``; ``registry`` imports all of them, so ``registry.METADATA`` is the whole
schema, compared against the migrations in CI. Rows are not domain objects: the
core's dataclasses are never instrumented by the ORM, and each capability's mappers
(``<entity>_to_row``, ``<entity>_from_row``) convert in both directions explicitly,
written out field by field on purpose: a new domain field that nobody maps fails a
round-trip test (tests/unit/adapters/test_postgres_mappers.py, which draws every
field independently, and the contract suite) instead of silently not being stored.
JSON columns hold only JSON-native values: datetimes as ISO-8601 strings, money as
decimal strings (a JSON number would come back as a float).

Conventions (``manyfutures db lint`` checks them, operations/lint.py; the README's
"Database operations" and docs/postgres.md list them):

* table names are the seed's snake_case plurals; columns are the snake_case domain
  field names (a value object is flattened with its name as prefix: ``cadence_*``);
* ids are text in the ``"C"`` collation, so ``ORDER BY id`` is byte order, the same
  order as Python's ``sorted`` and the ULIDs' creation order;
* every tenant table has ``organization_id NOT NULL`` referencing ``organizations``
  and an index whose leading column is ``organization_id``;
* a reference to another tenant row is a *composite* foreign key
  ``(x_id, organization_id) -> parent (id, organization_id)``: a row can never
  point at another organization's parent, even by a guessed id (foreign-key checks
  bypass row-level security, so RLS alone would not stop that). Every foreign
  key's columns lead some index;
* no foreign keys to ``users``: users are mirrored from Clerk by webhooks that may
  arrive after the memberships, notes or events that mention them;
* enumerations are ``text`` with a named CHECK constraint (adding a value is a
  one-line migration, unlike a PostgreSQL enum type);
* money is ``numeric``: the organization's limit is pounds and pence
  (``numeric(12,2)``); per-call costs are fractions of a penny, so they are
  unconstrained ``numeric``, which stores exactly the ``Decimal`` given and sums
  exactly as Python does;
* times are ``timestamptz``; the usage day is the UTC date.
"""

from __future__ import annotations

import datetime as dt
from collections import namedtuple
from collections.abc import Mapping, Sequence
from decimal import Decimal
from enum import StrEnum
from functools import cache
from typing import Annotated, Any, TypeVar

from sqlalchemy import (
    CheckConstraint,
    Date,
    DateTime,
    Double,
    ForeignKey,
    ForeignKeyConstraint,
    Integer,
    MetaData,
    Numeric,
    SmallInteger,
    Table,
    Text,
    Time,
)
from sqlalchemy.dialects.postgresql import ARRAY, JSONB
from sqlalchemy.orm import DeclarativeBase, MappedAsDataclass, mapped_column

NAMING_CONVENTION = {
    "pk": "pk_%(table_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
}

ID_TYPE = Text(collation="C")
# Ids bound as one array (``= ANY(:ids)``); the columns' collation decides the comparison.
ID_ARRAY = ARRAY(Text())
Id = Annotated[str, mapped_column(ID_TYPE)]
Timestamp = Annotated[dt.datetime, mapped_column(DateTime(timezone=True))]


class Base(MappedAsDataclass, DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map = {
        str: Text(),
        int: Integer(),
        float: Double(),
        Decimal: Numeric(),
        dt.datetime: DateTime(timezone=True),
        dt.time: Time(),
        dt.date: Date(),
        list[str]: ARRAY(Text()),
        list[int]: ARRAY(SmallInteger()),
        dict[str, Any]: JSONB(),
        list[dict[str, Any]]: JSONB(),
    }


def table_of(row: Base | type[Base]) -> Table:
    """The Core table behind a mapped row class (or row), for statements built from it."""
    table = row.__table__
    assert isinstance(table, Table)
    return table


def column_values(row: Base) -> dict[str, Any]:
    """A row's values by column name: the parameters of its INSERT or UPDATE."""
    return {column.key: getattr(row, column.key) for column in table_of(row).columns}


@cache
def _row_type(table: Table) -> Any:
    """A named tuple of the table's columns; the first must be its primary key, never
    NULL, which is how ``split_row`` tells an outer join's missing row."""
    first = table.columns[0]
    if not (first.primary_key and len(table.primary_key.columns) == 1):
        raise ValueError(f"{table.name}: split_row needs the one-column primary key first")
    return namedtuple(f"{table.name}_row", [column.key for column in table.columns])


def split_row(row: Sequence[Any], *tables: Table) -> list[Any]:
    """A row of ``select(table_a, table_b, …)`` as one row per table, each with its
    columns as attributes (what the mappers read); None for a table an outer join found
    no row of (its first column, the id, is NULL).

    Joined tables share column names (``id``, ``organization_id``), so the parts are
    taken by position, in the order the tables were selected.
    """
    parts: list[Any] = []
    start = 0
    for table in tables:
        end = start + len(table.columns)
        values = row[start:end]
        parts.append(None if values[0] is None else _row_type(table)._make(values))
        start = end
    return parts


def one_of(column: str, values: type[StrEnum], name: str | None = None) -> CheckConstraint:
    """``column IN (...)`` from a domain enum, so the schema cannot drift from the code."""
    allowed = ", ".join(f"'{member.value}'" for member in values)
    return CheckConstraint(f"{column} IN ({allowed})", name=name or column)


E = TypeVar("E", bound=StrEnum)


def by_value(kind: type[E]) -> Mapping[str, E]:
    """An enum's members by stored value, for the mappers of rows read by the page: a
    dict look-up per column, where calling the enum (``ProjectStatus(value)``) goes
    through ``EnumType.__call__`` (several times the cost, three times per project row)."""
    return {member.value: member for member in kind}


def tenant_fk(column: str, parent: str) -> ForeignKeyConstraint:
    """A reference that must stay inside the row's own organization."""
    return ForeignKeyConstraint(
        [column, "organization_id"], [f"{parent}.id", f"{parent}.organization_id"]
    )


def org_fk() -> Any:
    return ForeignKey("organizations.id")


def scoped_by(column: str | None) -> dict[str, Any]:
    """The table argument for a table not scoped by ``organization_id``: the column
    row-level security compares instead, or None for a global table (no tenant, no
    policy). Read back by ``tenant_column``."""
    return {"info": {"tenant_column": column}}


def tenant_column(table: Table) -> str | None:
    """The column that names a row's organization; None for a global table.

    ``organization_id`` unless the row class declared otherwise with ``scoped_by``, so
    the tenancy of a table is written next to the table, not in a list here.
    """
    column: str | None = table.info.get("tenant_column", "organization_id")
    return column
