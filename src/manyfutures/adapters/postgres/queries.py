"""The repositories' reads, built once at import; each takes the tenant as ``:org``.

Building a SELECT costs more Python than sending it: a statement object made per
call is constructed, then hashed for SQLAlchemy's compiled cache, on every request.
Built once, only its parameters change.
"""

from __future__ import annotations

from sqlalchemy import String, Table, bindparam, select

from manyfutures.adapters.postgres.tables import ProjectRow


def _table(row: type) -> Table:
    table = row.__table__  # type: ignore[attr-defined]
    assert isinstance(table, Table)
    return table


ORG = bindparam("org", type_=String)
_projects = _table(ProjectRow)
_live_projects = select(_projects).where(
    _projects.c.organization_id == ORG, _projects.c.deleted_at.is_(None)
)
PROJECT = _live_projects.where(_projects.c.id == bindparam("id"))
PROJECT_PAGE = _live_projects.order_by(_projects.c.id.desc()).limit(bindparam("limit"))
PROJECT_PAGE_AFTER = PROJECT_PAGE.where(_projects.c.id < bindparam("after"))
