"""The list pages in PostgreSQL: rows straight to the API's read models (ADR 0026).

``uow.listings`` reads through its unit of work, so row-level security, the app role
and the tenant setting hold as for every other read; the statements are plain
SELECTs, so a unit of work that only ran them ends with COMMIT and keeps its prepared
statements. They select only the columns a page shows (a project's memories, a JSON
column the page never shows, stay in the database), and a project's episodes come
with the check that the project is live in one statement, not two.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import ColumnElement, and_, bindparam, select, true, type_coerce
from sqlalchemy.types import NullType

from manyfutures.adapters.postgres.base import table_of
from manyfutures.adapters.postgres.episodes import EpisodeRow
from manyfutures.adapters.postgres.projects import ProjectRow
from manyfutures.adapters.postgres.repository import ORG, Repository
from manyfutures.core.listings import ports
from manyfutures.core.listings.model import EpisodeItem, ProjectItem, iso

_projects = table_of(ProjectRow)
_episodes = table_of(EpisodeRow)


def _as_read(column: ColumnElement[Any]) -> ColumnElement[Any]:
    """An array column as the driver reads it: psycopg already gives a list, which
    SQLAlchemy's ARRAY type would copy item by item for every row."""
    return type_coerce(column, NullType())


# Column order is the mappers' unpacking order below.
_PROJECT_COLUMNS = (
    _projects.c.id,
    _projects.c.title,
    _projects.c.onboarding_brief,
    _projects.c.status,
    _projects.c.cadence_mode,
    _as_read(_projects.c.cadence_days),
    _projects.c.cadence_delivery_time,
    _projects.c.cadence_timezone,
    _projects.c.next_scheduled_at,
    _projects.c.version,
    _projects.c.created_at,
    _projects.c.updated_at,
)
_live_project = and_(_projects.c.organization_id == ORG, _projects.c.deleted_at.is_(None))
PROJECT_PAGE = (
    select(*_PROJECT_COLUMNS)
    .where(_live_project)
    .order_by(_projects.c.id.desc())
    .limit(bindparam("limit"))
)
PROJECT_PAGE_AFTER = PROJECT_PAGE.where(_projects.c.id < bindparam("after"))

_EPISODE_COLUMNS = (
    _episodes.c.id,
    _episodes.c.project_id,
    _episodes.c.status,
    _episodes.c.title,
    _episodes.c.summary,
    _episodes.c.scheduled_for,
    _episodes.c.published_at,
    _episodes.c.reading_minutes,
    _episodes.c.sources,
    _episodes.c.generation_attempts,
    _as_read(_episodes.c.generation_errors),
    _episodes.c.progress_stage,
    _episodes.c.progress_percent,
    _episodes.c.created_at,
)
_page = (
    select(*_EPISODE_COLUMNS)
    .where(_episodes.c.organization_id == ORG, _episodes.c.project_id == _projects.c.id)
    .order_by(_episodes.c.id.desc())
    .limit(bindparam("limit"))
)


def _episode_page(page: Any) -> Any:
    """The live project's row, joined to its page of episodes: no row if the project is
    not live, one row of NULL episode columns if it has no episode (in this page)."""
    lateral = page.lateral("page")
    return (
        select(*lateral.c)
        .select_from(_projects)
        .outerjoin(lateral, true())
        .where(_live_project, _projects.c.id == bindparam("project_id"))
        .order_by(lateral.c.id.desc())
    )


EPISODE_PAGE = _episode_page(_page)
EPISODE_PAGE_AFTER = _episode_page(_page.where(_episodes.c.id < bindparam("after")))


def project_item_of_row(row: Any) -> ProjectItem:
    (
        id_,
        title,
        brief,
        status,
        mode,
        days,
        delivery_time,
        timezone,
        next_scheduled_at,
        version,
        created_at,
        updated_at,
    ) = row
    return {
        "id": id_,
        "title": title,
        "brief": brief,
        "status": status,
        "cadence": {"mode": mode, "days": days},
        "deliveryTime": delivery_time.strftime("%H:%M"),
        "timezone": timezone,
        "nextScheduledAt": iso(next_scheduled_at),
        "version": version,
        "createdAt": created_at.isoformat(),
        "updatedAt": updated_at.isoformat(),
    }


def episode_item_of_row(row: Any) -> EpisodeItem:
    (
        id_,
        project_id,
        status,
        title,
        summary,
        scheduled_for,
        published_at,
        reading_minutes,
        sources,
        generation_attempts,
        generation_errors,
        stage,
        percent,
        created_at,
    ) = row
    return {
        "id": id_,
        "projectId": project_id,
        "status": status,
        "title": title,
        "summary": summary,
        "scheduledFor": scheduled_for.isoformat(),
        "publishedAt": iso(published_at),
        "readingMinutes": reading_minutes,
        "sources": [{"title": s["title"], "url": s["url"]} for s in sources],
        "generationAttempts": generation_attempts,
        "generationErrors": generation_errors,
        "stage": stage,
        "percent": percent,
        "createdAt": created_at.isoformat(),
    }


class ListingRepository(Repository, ports.ListingReader):
    """Statuses and stages are stored as the enums' values (check constraints hold them
    to the members), which is what the API shows: they go out as read."""

    def projects(self, limit: int, after_id: str | None = None) -> list[ProjectItem]:
        if after_id is None:
            rows = self._uow.rows(PROJECT_PAGE, limit=limit)
        else:
            rows = self._uow.rows(PROJECT_PAGE_AFTER, limit=limit, after=after_id)
        return [project_item_of_row(row) for row in rows]

    def episodes(
        self, project_id: str, limit: int, after_id: str | None = None
    ) -> list[EpisodeItem] | None:
        if after_id is None:
            rows = self._uow.rows(EPISODE_PAGE, project_id=project_id, limit=limit)
        else:
            rows = self._uow.rows(
                EPISODE_PAGE_AFTER, project_id=project_id, limit=limit, after=after_id
            )
        if not rows:
            return None
        return [episode_item_of_row(row) for row in rows if row[0] is not None]
