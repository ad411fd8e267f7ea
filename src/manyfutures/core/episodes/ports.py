"""The episodes' storage port."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Protocol

from manyfutures.core.episodes.episode import Block, Episode, EpisodeStatus
from manyfutures.core.shared.unit_of_work import UnitOfWork


class EpisodeRepository(Protocol):
    def add(self, episode: Episode) -> None: ...
    def get(self, episode_id: str) -> Episode | None: ...
    def update(self, episode: Episode) -> None: ...
    def list_for_project(
        self, project_id: str, limit: int, after_id: str | None = None
    ) -> Sequence[Episode]:
        """Newest first."""
        ...

    def find_for_slot(self, project_id: str, scheduled_for: datetime) -> Episode | None: ...
    def recent_with_status(
        self, project_id: str, status: EpisodeStatus, limit: int
    ) -> Sequence[Episode]: ...


class BlockRepository(Protocol):
    def add(self, block: Block) -> None: ...
    def list_for_episode(self, episode_id: str) -> Sequence[Block]:
        """In position order."""
        ...


class EpisodeStore(UnitOfWork, Protocol):
    """An organization's episodes and their content blocks."""

    @property
    def episodes(self) -> EpisodeRepository: ...
    @property
    def blocks(self) -> BlockRepository: ...
