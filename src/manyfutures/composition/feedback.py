"""Feedback's use cases: the planning notes that steer the next episode, readers' verdicts
on the last ones, and highlights."""

from __future__ import annotations

from dependency_injector import containers, providers

from manyfutures.composition.use_case import use_case
from manyfutures.core.feedback.highlights import (
    CreateHighlight,
    DeleteHighlight,
    HighlightQuote,
    ListHighlights,
)
from manyfutures.core.feedback.use_cases import (
    AddPlanningNote,
    ArchivePlanningNote,
    EditPlanningNote,
    ListPlanningNotes,
    SubmitEpisodeFeedback,
)


class FeedbackContainer(containers.DeclarativeContainer):
    adapters = providers.DependenciesContainer()

    add_planning_note = use_case(AddPlanningNote, adapters)
    list_planning_notes = use_case(ListPlanningNotes, adapters)
    archive_planning_note = use_case(ArchivePlanningNote, adapters)
    create_highlight = use_case(CreateHighlight, adapters)
    highlight_quote = use_case(HighlightQuote, adapters)
    list_highlights = use_case(ListHighlights, adapters)
    delete_highlight = use_case(DeleteHighlight, adapters)
    edit_planning_note = use_case(EditPlanningNote, adapters)
    submit_episode_feedback = use_case(SubmitEpisodeFeedback, adapters)
