"""The one page-size rule every list endpoint shares."""

from __future__ import annotations

from manyfutures.core.shared.errors import ValidationError

MAX_PAGE_SIZE = 100


def check_page_size(limit: int) -> int:
    if not 1 <= limit <= MAX_PAGE_SIZE:
        raise ValidationError.for_field("limit", f"limit must be between 1 and {MAX_PAGE_SIZE}")
    return limit
