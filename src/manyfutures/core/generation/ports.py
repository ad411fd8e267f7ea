"""The episode generator port: n8n in production, a local simulation in memory mode.

Generation is asynchronous: ``start`` hands the request over and returns; the
result arrives later through the apply-result use case.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from manyfutures.core.projects.cadence import Cadence


@dataclass(frozen=True, slots=True)
class NoteForWriter:
    id: str
    note: str


@dataclass(frozen=True, slots=True)
class MemoryForWriter:
    content: str
    memory_type: str
    importance: float


@dataclass(frozen=True, slots=True)
class RecentEpisode:
    title: str
    summary: str


@dataclass(frozen=True, slots=True)
class GenerationRequest:
    run_id: str
    episode_id: str
    project_id: str
    organization_id: str
    attempt: int
    title: str
    brief: str
    cadence: Cadence
    planning_notes: tuple[NoteForWriter, ...]
    memories: tuple[MemoryForWriter, ...]
    recent_episodes: tuple[RecentEpisode, ...]


class EpisodeGenerator(Protocol):
    def start(self, request: GenerationRequest) -> None:
        """Hand the request to the generator; raise GeneratorUnavailableError if it refused."""
        ...


class GeneratorUnavailableError(Exception):
    """The generator could not accept the job (connection refused, timeout, 5xx)."""
