"""Highlights: readers mark passages of an episode's blocks (the ``highlights`` feature).

Every route refuses an organization without the feature (403 naming it) before it reads
anything else, so a client learns that the feature is off, not that an episode is missing.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from manyfutures.core.activity.event_types import HIGHLIGHT_CREATED
from manyfutures.core.activity.recording import Recorder
from manyfutures.core.episodes.episode import Block, Episode
from manyfutures.core.episodes.ports import EpisodeStore
from manyfutures.core.feedback.highlight import Highlight, check_passage, validate_note
from manyfutures.core.feedback.ports import FeedbackUnitOfWork
from manyfutures.core.identity.features import require_feature
from manyfutures.core.identity.ports import IdentityStore
from manyfutures.core.shared.actor import Actor
from manyfutures.core.shared.errors import NotFoundError, PermissionDeniedError, ValidationError
from manyfutures.core.shared.ports import IdGenerator
from manyfutures.core.shared.use_case import UseCase

FEATURE = "highlights"


class HighlightsUnitOfWork(FeedbackUnitOfWork, EpisodeStore, IdentityStore, Protocol):
    """A highlight sits on an episode's block; the organization's flags gate it."""


def _require_highlights(uow: HighlightsUnitOfWork) -> None:
    require_feature(uow.organizations.get(), FEATURE)


def _load_episode(uow: HighlightsUnitOfWork, episode_id: str) -> Episode:
    """An episode of a deleted project is gone with it, as everywhere else."""
    episode = uow.episodes.get(episode_id)
    if episode is None or uow.projects.get(episode.project_id) is None:
        raise NotFoundError("episode", episode_id)
    return episode


def _load_block(uow: HighlightsUnitOfWork, episode: Episode, block_id: str) -> Block:
    for block in uow.blocks.list_for_episode(episode.id):
        if block.id == block_id:
            return block
    raise NotFoundError("block", block_id)


@dataclass(frozen=True, slots=True)
class CreateHighlightCommand:
    actor: Actor
    episode_id: str
    block_id: str
    start_offset: int
    end_offset: int
    text: str
    note: str | None = None


class CreateHighlight(UseCase[HighlightsUnitOfWork]):
    def __call__(self, command: CreateHighlightCommand) -> Highlight:
        now = self._clock.now()
        with self._uow(command.actor.organization_id) as uow:
            _require_highlights(uow)
            episode = _load_episode(uow, command.episode_id)
            block = _load_block(uow, episode, command.block_id)
            check_passage(block.content, command.start_offset, command.end_offset, command.text)
            highlight = _add(uow, self._ids, command, episode, now)
            uow.commit()
            return highlight


@dataclass(frozen=True, slots=True)
class HighlightQuoteCommand:
    actor: Actor
    episode_id: str
    text: str
    note: str | None = None


class HighlightQuote(UseCase[HighlightsUnitOfWork]):
    """A passage quoted from the episode, highlighted where it first appears in its
    blocks: for a page whose reader copies a passage rather than counting offsets."""

    def __call__(self, command: HighlightQuoteCommand) -> Highlight:
        now = self._clock.now()
        with self._uow(command.actor.organization_id) as uow:
            _require_highlights(uow)
            episode = _load_episode(uow, command.episode_id)
            block, start = _find_quote(uow, episode, command.text)
            located = CreateHighlightCommand(
                command.actor,
                episode.id,
                block.id,
                start,
                start + len(command.text),
                command.text,
                command.note,
            )
            highlight = _add(uow, self._ids, located, episode, now)
            uow.commit()
            return highlight


def _find_quote(uow: HighlightsUnitOfWork, episode: Episode, text: str) -> tuple[Block, int]:
    if text.strip():
        for block in uow.blocks.list_for_episode(episode.id):
            start = block.content.find(text)
            if start >= 0:
                return block, start
    raise ValidationError.for_field(
        "text", "the passage must be copied exactly as it is written in the episode"
    )


def _add(
    uow: HighlightsUnitOfWork,
    ids: IdGenerator,
    command: CreateHighlightCommand,
    episode: Episode,
    now: datetime,
) -> Highlight:
    record = Recorder(uow, ids, command.actor.user_id, now)
    highlight = Highlight(
        id=ids.new_id("hl"),
        organization_id=episode.organization_id,
        user_id=command.actor.user_id,
        episode_id=episode.id,
        block_id=command.block_id,
        start_offset=command.start_offset,
        end_offset=command.end_offset,
        text=command.text,
        note=validate_note(command.note),
        created_at=now,
    )
    uow.highlights.add(highlight)
    record.audit("highlight.create", "highlight", highlight.id, new=highlight.text)
    record.event(
        HIGHLIGHT_CREATED,
        {
            "projectId": episode.project_id,
            "episodeId": episode.id,
            "highlightId": highlight.id,
        },
    )
    return highlight


@dataclass(frozen=True, slots=True)
class ListHighlightsQuery:
    actor: Actor
    episode_id: str


class ListHighlights(UseCase[HighlightsUnitOfWork]):
    """Everyone's highlights on the episode in the organization, oldest first: a team
    reads its briefs together."""

    def __call__(self, query: ListHighlightsQuery) -> Sequence[Highlight]:
        with self._uow(query.actor.organization_id) as uow:
            _require_highlights(uow)
            episode = _load_episode(uow, query.episode_id)
            return uow.highlights.list_for_episode(episode.id)


@dataclass(frozen=True, slots=True)
class DeleteHighlightCommand:
    actor: Actor
    highlight_id: str


class DeleteHighlight(UseCase[HighlightsUnitOfWork]):
    """Only its author removes a highlight: it is a personal mark, even for admins."""

    def __call__(self, command: DeleteHighlightCommand) -> None:
        now = self._clock.now()
        with self._uow(command.actor.organization_id) as uow:
            _require_highlights(uow)
            record = Recorder(uow, self._ids, command.actor.user_id, now)
            highlight = uow.highlights.get(command.highlight_id)
            if highlight is None:
                raise NotFoundError("highlight", command.highlight_id)
            if highlight.user_id != command.actor.user_id:
                raise PermissionDeniedError("only the highlight's author may delete it")
            uow.highlights.delete(highlight)
            record.audit("highlight.delete", "highlight", highlight.id, old=highlight.text)
            uow.commit()
