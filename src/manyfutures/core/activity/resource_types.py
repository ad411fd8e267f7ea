"""What the audit trail records changes of: every ``resource_type`` an audit row may carry.

``GET /v1/audit-log?resourceType=`` accepts exactly these (any other is a 422, since it
could only be a typo that matches nothing), and ``tests/unit/core/test_activity_catalogues.py``
fails for an audit written in the core with a type that is not listed here.
"""

from __future__ import annotations

AUDITED_RESOURCE_TYPES = frozenset(
    {
        "organization",
        "membership",
        "project",
        "episode",
        "planning_note",
        "episode_feedback",
        "highlight",
        "memory",
        "notification",
        "notification_preferences",
        "chat_session",
        "chat_message",
    }
)
