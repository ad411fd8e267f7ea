"""Every mapper pair round-trips a domain object with every field drawn independently.

The contract suite's round trips use builders whose timestamps are equal and whose
optional fields are None, so a mapper that swapped ``created_at`` and
``updated_at``, or dropped an optional field, would still pass there. Here each
field gets its own random value (optional ones included), so it cannot. No
database: the rows are the mapped classes, which answer the same attributes as the
Core rows the unit of work reads.
"""

from __future__ import annotations

import dataclasses
import types
from collections.abc import Callable
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any, Union, get_args, get_origin, get_type_hints

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from manyfutures.adapters.postgres import (
    activity,
    budget,
    conversations,
    episodes,
    feedback,
    generation,
    identity,
    notifications,
    outbox,
    projects,
    scheduling,
)
from manyfutures.adapters.postgres.registry import CAPABILITIES
from manyfutures.core.activity.model import AuditLog, Notification, UserEvent
from manyfutures.core.conversations.model import ChatMessage, Conversation
from manyfutures.core.costs.budget import BudgetDay, CostReservation
from manyfutures.core.episodes.episode import Block, Episode
from manyfutures.core.feedback.highlight import Highlight
from manyfutures.core.feedback.model import AgentMemory, EpisodeFeedback, PlanningNote
from manyfutures.core.generation.run import GenerationRun
from manyfutures.core.identity.model import Membership, Organization, User
from manyfutures.core.notifications.model import PreferenceSetting
from manyfutures.core.outbox.model import OutboxMessage
from manyfutures.core.projects.model import Project
from manyfutures.core.scheduling.queue import ScheduleQueueItem

# Where st.from_type would draw values a row never holds, or that never equal themselves.
SCALARS: dict[Any, st.SearchStrategy[Any]] = {
    datetime: st.datetimes(timezones=st.just(UTC)),
    Decimal: st.decimals(allow_nan=False, allow_infinity=False),
    float: st.floats(allow_nan=False, allow_infinity=False),
}
JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(), inner, max_size=3),
    max_leaves=8,
)


def strategy_for(hint: Any) -> st.SearchStrategy[Any]:
    origin = get_origin(hint)
    if origin in (Union, types.UnionType):
        return st.one_of(*(strategy_for(arg) for arg in get_args(hint)))
    if origin is list:
        return st.lists(strategy_for(get_args(hint)[0]), max_size=3)
    if origin is tuple:
        return st.lists(strategy_for(get_args(hint)[0]), max_size=3).map(tuple)
    if origin is dict:
        return st.dictionaries(st.text(), JSON, max_size=3)
    if hint is type(None):
        return st.none()
    if dataclasses.is_dataclass(hint):
        return every_field(hint)
    return SCALARS[hint] if hint in SCALARS else st.from_type(hint)


def every_field(cls: Any) -> st.SearchStrategy[Any]:
    """``st.builds`` that draws fields with defaults too, which it would otherwise leave be."""
    hints = get_type_hints(cls)
    fields = {field.name: strategy_for(hints[field.name]) for field in dataclasses.fields(cls)}
    return st.builds(cls, **fields)


PAIRS: list[tuple[type[Any], Callable[[Any], Any], Callable[[Any], Any]]] = [
    (Organization, identity.organization_to_row, identity.organization_from_row),
    (User, identity.user_to_row, identity.user_from_row),
    (Membership, identity.membership_to_row, identity.membership_from_row),
    (Project, projects.project_to_row, projects.project_from_row),
    (Episode, episodes.episode_to_row, episodes.episode_from_row),
    (Block, episodes.block_to_row, episodes.block_from_row),
    (ScheduleQueueItem, scheduling.queue_item_to_row, scheduling.queue_item_from_row),
    (GenerationRun, generation.run_to_row, generation.run_from_row),
    (BudgetDay, budget.budget_day_to_row, budget.budget_day_from_row),
    (CostReservation, budget.reservation_to_row, budget.reservation_from_row),
    (PlanningNote, feedback.note_to_row, feedback.note_from_row),
    (EpisodeFeedback, feedback.feedback_to_row, feedback.feedback_from_row),
    (AgentMemory, feedback.memory_to_row, feedback.memory_from_row),
    (Highlight, feedback.highlight_to_row, feedback.highlight_from_row),
    (UserEvent, activity.event_to_row, activity.event_from_row),
    (AuditLog, activity.audit_to_row, activity.audit_from_row),
    (Notification, activity.notification_to_row, activity.notification_from_row),
    (OutboxMessage, outbox.message_to_row, outbox.message_from_row),
    (Conversation, conversations.conversation_to_row, conversations.conversation_from_row),
    (ChatMessage, conversations.message_to_row, conversations.message_from_row),
    (PreferenceSetting, notifications.setting_to_row, notifications.setting_from_row),
]


@pytest.mark.parametrize(
    ("cls", "to_row", "from_row"), PAIRS, ids=[cls.__name__ for cls, _, _ in PAIRS]
)
@settings(deadline=None)
@given(data=st.data())
def test_a_row_maps_back_to_the_same_object(
    cls: type[Any],
    to_row: Callable[[Any], Any],
    from_row: Callable[[Any], Any],
    data: st.DataObject,
) -> None:
    original = data.draw(every_field(cls))
    assert from_row(to_row(original)) == original


def test_every_mapper_pair_is_round_tripped() -> None:
    """A pair added to any capability module without a line in PAIRS fails here."""
    pairs = {
        (module.__name__, name.removesuffix("_to_row"))
        for module in CAPABILITIES
        for name in vars(module)
        if name.endswith("_to_row") and hasattr(module, name.replace("_to_row", "_from_row"))
    }
    assert pairs == {
        (to_row.__module__, to_row.__name__.removesuffix("_to_row")) for _, to_row, _ in PAIRS
    }
