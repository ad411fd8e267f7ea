"""What every capability's repositories share: the tenant parameter and the UPDATE by id.

Statements are built once, in the capability module that owns the table, each with
the tenant bound as ``:org``. Building a statement costs more Python than sending
it: one made per call is constructed, then hashed for SQLAlchemy's compiled cache,
on every request. Built once, only its parameters change. Reads and deletes are
built at import (``users`` is the one global table, with no ``:org``; an
organization is its own tenant); the UPDATE by id is built per table on first use.
"""

from __future__ import annotations

from functools import cache

from sqlalchemy import String, Table, Update, bindparam, update

ORG = bindparam("org", type_=String)


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
