"""A reader's highlight: a passage of one block of an episode, with an optional note.

Offsets count Unicode code points (Python's ``str`` indices), ``start`` included and ``end``
excluded, so the highlighted text is exactly ``content[start:end]``. A client in a UTF-16
language (JavaScript) converts first: ``Array.from(content)`` indexes code points. The text
is stored as well as the offsets and must equal the slice: a client that counted in another
unit, or highlighted a block that has since changed, is refused instead of storing a
highlight that marks the wrong words.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from manyfutures.core.shared.errors import FieldErrors, ValidationError

MAX_HIGHLIGHT_NOTE_LENGTH = 2_000


@dataclass(slots=True, kw_only=True)
class Highlight:
    id: str
    organization_id: str
    user_id: str
    episode_id: str
    block_id: str
    start_offset: int
    end_offset: int
    text: str
    note: str | None = None
    created_at: datetime


def check_passage(content: str, start: int, end: int, text: str) -> None:
    """``text`` must be ``content[start:end]``, a non-empty slice inside the content."""
    errors = FieldErrors()
    if not 0 <= start < len(content):
        errors.errors["startOffset"] = [
            f"startOffset must be at least 0 and below the block's length ({len(content)})"
        ]
    if not start < end <= len(content):
        errors.errors["endOffset"] = [
            f"endOffset must be above startOffset and at most the block's length ({len(content)})"
        ]
    errors.raise_if_any("the offsets are outside the block")
    if content[start:end] != text:
        raise ValidationError.for_field(
            "text", "text must equal the block's content between the offsets (code points)"
        )


def validate_note(note: str | None) -> str | None:
    """Blank notes are no note; surrounding whitespace is dropped."""
    cleaned = note.strip() if note is not None else ""
    if len(cleaned) > MAX_HIGHLIGHT_NOTE_LENGTH:
        raise ValidationError.for_field(
            "note", f"note must be at most {MAX_HIGHLIGHT_NOTE_LENGTH} characters"
        )
    return cleaned or None
