"""Projects in memory, with Postgres's optimistic version check applied at commit."""

from __future__ import annotations

from collections.abc import Sequence
from typing import ClassVar

from manyfutures.adapters.memory.tables import MemoryTable, TableView, Transaction, newest_first
from manyfutures.core.projects.model import Project, ProjectStatus
from manyfutures.core.shared.errors import VersionConflictError


def _check_versions(self: Transaction) -> None:
    for project_id, loaded in self.loaded_versions.items():
        if project_id not in self.staged.get("projects", {}):
            continue
        stored = self.store.tables["projects"].get(project_id)
        if stored is not None and stored.version != loaded:
            raise VersionConflictError("project", project_id, loaded, stored.version)


PROJECTS = MemoryTable("projects", check=_check_versions)


class ProjectRepository:
    table: ClassVar[MemoryTable] = PROJECTS

    def __init__(self, uow: Transaction) -> None:
        self._uow = uow
        self._rows: TableView[Project] = TableView(uow, self.table)

    def add(self, project: Project) -> None:
        self._rows.insert(project)

    def get(self, project_id: str) -> Project | None:
        project = self._rows.get(project_id)
        if project is None or project.is_deleted:
            return None
        self._uow.loaded_versions.setdefault(project.id, project.version)
        return project

    def get_many(self, project_ids: Sequence[str]) -> Sequence[Project]:
        """Each project once, however often its id is given (as ``= ANY(ids)`` reads it)."""
        found = (self.get(project_id) for project_id in dict.fromkeys(project_ids))
        return [project for project in found if project is not None]

    def get_for_update(self, project_id: str) -> Project | None:
        self._uow.lock_row(self.table.name, project_id)
        return self.get(project_id)

    def find_by_memory_id(self, memory_id: str) -> Project | None:
        for project in self._rows.rows():
            if not project.is_deleted and any(m.id == memory_id for m in project.memories):
                return project
        return None

    def list(self, limit: int, after_id: str | None = None) -> Sequence[Project]:
        live = (p for p in self._rows.rows() if not p.is_deleted)
        return newest_first(live, limit, after_id)

    def count_active(self) -> int:
        return sum(
            1 for p in self._rows.rows() if p.status is ProjectStatus.ACTIVE and not p.is_deleted
        )

    def update(self, project: Project) -> None:
        if project.id not in self._uow.loaded_versions:
            raise VersionConflictError("project", project.id, project.version, None)
        self._rows.update(project)

    def update_many(self, projects: Sequence[Project]) -> None:
        """All or none, as the one UPDATE in PostgreSQL: every project is checked before
        any is staged."""
        for project in projects:
            if project.id not in self._uow.loaded_versions:
                raise VersionConflictError("project", project.id, project.version, None)
        for project in projects:
            self.update(project)
