"""The email templates (Jinja2): each kind of email to a subject, a plain-text and an HTML part.

The files are in ``templates/``, shipped as package data: ``<kind>.subject.txt``,
``<kind>.txt`` and ``<kind>.html`` (which extends ``layout.html``). HTML is
autoescaped, so an episode title such as ``<script>`` reaches the reader as text;
the ``.txt`` ones are not, since plain text has nothing to escape and ``&amp;``
would be wrong there. ``StrictUndefined`` makes a template that names something the
email does not have fail when rendered (in the tests), instead of leaving a blank
in a reader's inbox.

Links are made absolute with ``MANYFUTURES_APP_URL``, the reader-facing front end;
the one-click unsubscribe link points at the API itself (``MANYFUTURES_PUBLIC_URL``),
signed with ``MANYFUTURES_UNSUBSCRIBE_SECRET`` (core/outbox/unsubscribe.py).
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape

from manyfutures.core.outbox.emails import (
    DailyCostApproaching,
    DailyCostLimitReached,
    Email,
    EpisodeFailed,
    EpisodeReady,
    RenderedEmail,
)
from manyfutures.core.outbox.unsubscribe import UnsubscribeTarget, sign_unsubscribe

UNSUBSCRIBE_PATH = "/unsubscribe/"

TEMPLATE_NAMES: dict[type[Email], str] = {
    EpisodeReady: "episode_ready",
    EpisodeFailed: "episode_failed",
    DailyCostApproaching: "cost_limit_approaching",
    DailyCostLimitReached: "cost_limit_reached",
}


def gbp(amount: Decimal) -> str:
    return f"£{amount:,.2f}"


def long_date(day: date) -> str:
    """``5 January 2026``: no leading zero, the month spelled out (strftime's %-d is glibc's)."""
    return f"{day.day} {day:%B %Y}"


def environment() -> Environment:
    env = Environment(
        loader=PackageLoader("manyfutures.adapters.email", "templates"),
        autoescape=select_autoescape(
            enabled_extensions=("html",), default_for_string=True, default=False
        ),
        undefined=StrictUndefined,
    )
    env.filters["gbp"] = gbp
    env.filters["long_date"] = long_date
    return env


def unsubscribe_base_url(public_url: str, app_url: str) -> str:
    """The API's own address; in dev, without one, ``make run``'s (the dev ``APP_URL``)."""
    return (public_url or app_url).rstrip("/")


class JinjaEmailTemplates:
    def __init__(
        self, app_url: str, unsubscribe_base_url: str = "", unsubscribe_secret: str = ""
    ) -> None:
        self._app_url = app_url.rstrip("/")
        self._unsubscribe_base = unsubscribe_base_url.rstrip("/")
        self._unsubscribe_secret = unsubscribe_secret.encode()
        self._env = environment()

    def unsubscribe_url(self, target: UnsubscribeTarget) -> str:
        if not (self._unsubscribe_base and self._unsubscribe_secret):
            raise ValueError("unsubscribe links need the API's URL and the signing secret")
        token = sign_unsubscribe(self._unsubscribe_secret, target)
        return self._unsubscribe_base + UNSUBSCRIBE_PATH + token

    def render(self, email: Email, unsubscribe: UnsubscribeTarget | None = None) -> RenderedEmail:
        name = TEMPLATE_NAMES[type(email)]
        unsubscribe_url = self.unsubscribe_url(unsubscribe) if unsubscribe else None
        context: dict[str, object] = {
            "email": email,
            "link": self._app_url + email.link,
            "app_url": self._app_url,
            "unsubscribe_url": unsubscribe_url,
        }
        # One line: a header may not span lines, and a title may hold a line break.
        subject = " ".join(self._render(f"{name}.subject.txt", context).split())
        context["subject"] = subject
        return RenderedEmail(
            subject=subject,
            text=self._render(f"{name}.txt", context),
            html=self._render(f"{name}.html", context),
            list_unsubscribe=unsubscribe_url,
        )

    def _render(self, template: str, context: dict[str, object]) -> str:
        return self._env.get_template(template).render(context)
