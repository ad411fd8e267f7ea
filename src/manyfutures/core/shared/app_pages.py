"""Pages of the reader-facing front end that the backend links to, as paths.

A notification keeps the path (the front end resolves it against its own origin);
an email makes it absolute with ``MANYFUTURES_APP_URL``, since a mail client has no
origin to resolve it against. Both take it from here, so they open the same page.
"""

from __future__ import annotations

# Where admins see the organization's settings and change its daily cost limit.
ORGANIZATION_PAGE = "/organization"


def episode_page(episode_id: str) -> str:
    return f"/episodes/{episode_id}"


def retry_page(episode_id: str) -> str:
    """A page, not the retry itself: a link is a GET, and retrying changes state, so the
    page offers the retry and POSTs ``/v1/episodes/<id>/retry`` when the reader asks."""
    return f"/episodes/{episode_id}/retry"
