"""The emails the product sends: one frozen value per kind, holding what its template shows.

A use case builds one and hands it to the ``EmailTemplates`` port (ports.py), which
renders a subject, a plain-text and an HTML part when the message is written to the
outbox (writing.py). Rendering is a framework's job (Jinja2, in an adapter); what an
email says — which facts, which page it links to — is decided here. Links are
front-end paths (core/shared/app_pages.py) that the templates make absolute.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import ROUND_FLOOR, Decimal

from manyfutures.core.shared.app_pages import ORGANIZATION_PAGE, episode_page, retry_page


@dataclass(frozen=True, slots=True)
class EpisodeReady:
    """To the project's creator when an episode is published."""

    project_title: str
    episode_id: str
    episode_title: str
    summary: str
    reading_minutes: int | None

    @property
    def link(self) -> str:
        return episode_page(self.episode_id)


@dataclass(frozen=True, slots=True)
class EpisodeFailed:
    """To the project's creator when an episode failed for good (not on a retried attempt)."""

    project_title: str
    episode_id: str
    error: str
    attempts: int

    @property
    def link(self) -> str:
        return retry_page(self.episode_id)


@dataclass(frozen=True, slots=True)
class DailyCostAlert:
    """What both cost alerts say: an organization's AI spend on one UTC day, and its limit.

    The amount is what the day has *committed*: spent, plus reserved for runs under
    way, since that is what the limit is checked against (core/costs/budget.py).
    """

    organization_name: str
    day: date
    committed_gbp: Decimal
    limit_gbp: Decimal

    @property
    def percent_used(self) -> int:
        """Rounded down, so a mail never says 100 % before the limit is reached."""
        if self.limit_gbp <= 0:
            return 100
        return int((self.committed_gbp * 100 / self.limit_gbp).to_integral_value(ROUND_FLOOR))

    @property
    def link(self) -> str:
        return ORGANIZATION_PAGE


@dataclass(frozen=True, slots=True)
class DailyCostApproaching(DailyCostAlert):
    """To an organization's admins when its spend passes the warning share (80 %) of the limit."""


@dataclass(frozen=True, slots=True)
class DailyCostLimitReached(DailyCostAlert):
    """To an organization's admins when its spend reaches the daily limit."""


Email = EpisodeReady | EpisodeFailed | DailyCostApproaching | DailyCostLimitReached


@dataclass(frozen=True, slots=True)
class RenderedEmail:
    subject: str
    text: str
    html: str
    list_unsubscribe: str | None = None
