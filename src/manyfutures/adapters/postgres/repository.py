"""What every capability's repositories share: their unit of work, the tenant parameter
and the UPDATE by id.

Statements are built once, in the capability module that owns the table, each with
the tenant bound as ``:org``. Building a statement costs more Python than sending
it: one made per call is constructed, then hashed for SQLAlchemy's compiled cache,
on every request. Built once, only its parameters change. Reads and deletes are
built at import (``users`` is the one global table, with no ``:org``; an
organization is its own tenant); the UPDATE by id is built per table on first use.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import cache
from typing import TYPE_CHECKING

from sqlalchemy import Connection, String, Table, Update, bindparam, update

from manyfutures.adapters.postgres.base import Base, column_values, table_of

if TYPE_CHECKING:
    from manyfutures.adapters.postgres.unit_of_work import PostgresUnitOfWork

ORG = bindparam("org", type_=String)
# Never in an UPDATE's SET: a row keeps its id and its organization.
KEYS = frozenset({"id", "organization_id"})


@cache
def update_by_id(table: Table, versioned: bool = False) -> Update:
    """One row's UPDATE: ``:key_id`` in ``:org``, and at ``:loaded_version`` if versioned.

    No SET clause: SQLAlchemy builds it from the column-named parameters of each
    execution (and caches it per set of names). That is why the WHERE clause binds
    names no column has: a bind named after a column would be taken for its new value.
    """
    conditions = [table.c.id == bindparam("key_id")]
    if "organization_id" in table.c:
        conditions.append(table.c.organization_id == ORG)
    if versioned:
        conditions.append(table.c.version == bindparam("loaded_version"))
    return update(table).where(*conditions)


class Repository:
    """One store's repository, built by its unit of work on first use (``registry``).

    It keeps no state of its own: reads and writes go through the unit of work, which
    holds the connection, the staged writes and the versions read.
    """

    def __init__(self, uow: PostgresUnitOfWork) -> None:
        self._uow = uow

    @property
    def _org(self) -> str:
        return self._uow.organization_id

    def _update(
        self,
        row: Base,
        *,
        loaded_version: int | None = None,
        on_missing: Callable[[Connection], Exception],
    ) -> None:
        """Stage an UPDATE of every column but the keys; fail if it matched no row.

        With ``loaded_version``, only the row still at that version matches.
        """
        table = table_of(row)
        values = column_values(row)
        self._uow.check_tenant(table, values)
        statement = update_by_id(table, versioned=loaded_version is not None)
        parameters = {name: value for name, value in values.items() if name not in KEYS}
        parameters.update(key_id=values["id"], org=self._org)
        if loaded_version is not None:
            parameters["loaded_version"] = loaded_version

        def run(connection: Connection) -> None:
            if connection.execute(statement, parameters).rowcount != 1:
                raise on_missing(connection)

        self._uow.later(run)
