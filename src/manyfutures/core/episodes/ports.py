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
    def get_many(self, episode_ids: Sequence[str]) -> Sequence[Episode]:
        """``get`` for each in one read, in no particular order (missing ones left out)."""
        ...

    def update(self, episode: Episode) -> None: ...
    def list_for_project(
        self, project_id: str, limit: int, after_id: str | None = None
    ) -> Sequence[Episode]:
        """Newest first."""
        ...

    def find_for_slot(self, project_id: str, scheduled_for: datetime) -> Episode | None:
        """The project's episode for that slot, the lowest id if there are several."""
        ...

    def find_for_slots(self, slots: Sequence[tuple[str, datetime]]) -> Sequence[Episode]:
        """``find_for_slot`` of each (project id, slot) in one read, in no particular order;
        a slot with no episode is left out."""
        ...

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
