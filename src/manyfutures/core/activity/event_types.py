"""The events the server records, by name: the catalogue docs/api.md lists.

The server records these itself, in the transaction of what they describe; a client may
record others (``POST /v1/events``) but not these, so a metric derived from them
(``GET /v1/metrics/engagement``) counts only what the server saw happen.
``tests/unit/core/test_activity_catalogues.py`` fails for a name recorded in the core that is
not listed here.
"""

from __future__ import annotations

PROJECT_CREATED = "project_created"
EPISODE_PUBLISHED = "episode_published"
EPISODE_OPENED = "episode_opened"
# Once per user in each organization, kept so under concurrent opens by a partial unique
# index (``uq_user_events_first_episode_opened``) that the memory adapter re-enacts.
FIRST_EPISODE_OPENED = "first_episode_opened"
PLANNING_NOTE_SUBMITTED = "planning_note_submitted"
PLANNING_NOTE_INCORPORATED = "planning_note_incorporated"
# Recorded by episode feedback; its data carries ``rating`` (1 to 5), which the
# engagement metrics average.
FEEDBACK_SUBMITTED = "feedback_submitted"
ONBOARDING_COMPLETE = "onboarding_complete"
HIGHLIGHT_CREATED = "highlight_created"
# A search of a project whose memories are still JSON: the "search needed" trigger the
# daily check acts on (a read never moves memories itself).
MEMORY_SEARCH_REQUESTED = "memory_search_requested"
MEMORIES_MIGRATED = "memories_migrated"

SERVER_EVENT_TYPES = frozenset(
    {
        PROJECT_CREATED,
        "settings_updated",
        "project_paused",
        "project_resumed",
        "project_deleted",
        "episode_requested",
        "episode_retried",
        EPISODE_PUBLISHED,
        "episode_failed",
        "episodes_skipped",
        EPISODE_OPENED,
        FIRST_EPISODE_OPENED,
        PLANNING_NOTE_SUBMITTED,
        PLANNING_NOTE_INCORPORATED,
        FEEDBACK_SUBMITTED,
        ONBOARDING_COMPLETE,
        HIGHLIGHT_CREATED,
        MEMORY_SEARCH_REQUESTED,
        MEMORIES_MIGRATED,
        "approaching_limit",
        "daily_limit_exceeded",
        "daily_limit_lifted",
        "cost_overrun",
    }
)
