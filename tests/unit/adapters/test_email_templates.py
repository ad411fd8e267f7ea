"""The email templates: every kind renders both parts, links are absolute, HTML is escaped.

The templates are rendered through the adapter production uses, from the package's
own files; nothing is mocked.
"""

from __future__ import annotations

import fnmatch
import tomllib
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import get_args

import pytest
from jinja2 import UndefinedError
from markupsafe import escape

from manyfutures.adapters.email import templates as templates_module
from manyfutures.adapters.email.templates import TEMPLATE_NAMES, JinjaEmailTemplates, environment
from manyfutures.core.outbox.emails import (
    DailyCostApproaching,
    DailyCostLimitReached,
    Email,
    EpisodeFailed,
    EpisodeReady,
)
from manyfutures.core.outbox.unsubscribe import UnsubscribeTarget, verify_unsubscribe

APP_URL = "https://app.example.com"
DAY = date(2026, 1, 5)
READY = EpisodeReady(
    project_title="Energy",
    episode_id="ep_01ABC",
    episode_title="Grid week",
    summary="Storage got cheaper.",
    reading_minutes=4,
)
FAILED = EpisodeFailed(
    project_title="Energy", episode_id="ep_01ABC", error="Writer agent timed out", attempts=3
)
APPROACHING = DailyCostApproaching("Acme", DAY, Decimal("41.50"), Decimal("50.00"))
REACHED = DailyCostLimitReached("Acme", DAY, Decimal("50.02"), Decimal("50.00"))
EVERY_KIND: list[Email] = [READY, FAILED, APPROACHING, REACHED]


@pytest.fixture(scope="module")
def templates() -> JinjaEmailTemplates:
    return JinjaEmailTemplates(APP_URL)


def test_every_kind_of_email_has_templates() -> None:
    assert set(TEMPLATE_NAMES) == set(get_args(Email)) == {type(e) for e in EVERY_KIND}


@pytest.mark.parametrize("email", EVERY_KIND, ids=lambda e: type(e).__name__)
def test_every_kind_renders_a_one_line_subject_and_both_parts_with_the_absolute_link(
    email: Email, templates: JinjaEmailTemplates
) -> None:
    rendered = templates.render(email)
    assert rendered.subject and "\n" not in rendered.subject
    link = APP_URL + email.link
    assert f"\n{link}" in rendered.text or f" {link}" in rendered.text
    assert f'href="{link}"' in rendered.html
    assert rendered.html.startswith("<!DOCTYPE html>")
    assert f"<title>{escape(rendered.subject)}</title>" in rendered.html


@pytest.mark.parametrize(
    ("email", "link"),
    [
        (READY, "https://app.example.com/episodes/ep_01ABC"),
        (FAILED, "https://app.example.com/episodes/ep_01ABC/retry"),
        (APPROACHING, "https://app.example.com/organization"),
        (REACHED, "https://app.example.com/organization"),
    ],
)
def test_each_email_links_to_its_page(email: Email, link: str) -> None:
    # A trailing slash on the setting makes no double slash.
    rendered = JinjaEmailTemplates(APP_URL + "/").render(email)
    assert link in rendered.text
    assert f'href="{link}"' in rendered.html


def test_a_front_end_under_a_path_keeps_its_path() -> None:
    rendered = JinjaEmailTemplates("https://example.com/app").render(READY)
    assert "https://example.com/app/episodes/ep_01ABC" in rendered.text


def test_the_episode_emails_say_what_happened(templates: JinjaEmailTemplates) -> None:
    ready = templates.render(READY)
    assert ready.subject == "Your Many Futures episode is ready: Grid week"
    assert ready.text.startswith("Grid week\nEnergy · 4 min read\n\nStorage got cheaper.\n")
    failed = templates.render(FAILED)
    assert failed.subject == "Your Many Futures episode could not be written: Energy"
    assert "We tried 3 times" in failed.text
    assert "Writer agent timed out" in failed.text and "Writer agent timed out" in failed.html


def test_the_cost_alerts_show_pounds_the_day_and_the_share_used(
    templates: JinjaEmailTemplates,
) -> None:
    approaching = templates.render(APPROACHING)
    assert approaching.subject == "Acme has used 83 % of today's AI cost limit"
    assert "£41.50 of its £50.00 daily AI cost limit on 5 January 2026 (UTC)" in approaching.text
    reached = templates.render(REACHED)
    assert reached.subject == "Acme has reached today's AI cost limit"
    assert "committed £50.02 on 5 January 2026 (UTC)" in reached.text
    assert "£50.00" in reached.html


def test_html_is_escaped_and_plain_text_is_left_as_written(
    templates: JinjaEmailTemplates,
) -> None:
    hostile = EpisodeReady(
        project_title="R&D",
        episode_id="ep_1",
        episode_title='<script>alert("x")</script>\nGrid',
        summary='<img src=x onerror="alert(1)"> & more',
        reading_minutes=None,
    )
    rendered = templates.render(hostile)
    assert "<script" not in rendered.html and "<img" not in rendered.html
    assert "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;" in rendered.html
    assert "&lt;img src=x onerror=&#34;alert(1)&#34;&gt; &amp; more" in rendered.html
    assert "R&amp;D" in rendered.html
    # Plain text has no markup to escape: the reader sees the title as it is.
    assert rendered.text.startswith('<script>alert("x")</script>\nGrid\nR&D\n')
    assert (
        rendered.subject == 'Your Many Futures episode is ready: <script>alert("x")</script> Grid'
    )
    assert "min read" not in rendered.text


def test_a_template_naming_a_missing_field_fails_instead_of_rendering_a_blank() -> None:
    with pytest.raises(UndefinedError):
        environment().from_string("Hello {{ email.reader_name }}").render(email=READY)


def test_the_cost_share_is_rounded_down() -> None:
    assert DailyCostApproaching("Acme", DAY, Decimal("49.99"), Decimal("50")).percent_used == 99
    assert DailyCostLimitReached("Acme", DAY, Decimal("0"), Decimal("0")).percent_used == 100


def test_the_template_files_ship_in_the_package() -> None:
    """Every file the loader reads is matched by pyproject's package-data, so an installed
    wheel renders the same emails as this checkout."""
    root = Path(__file__).resolve().parents[3]
    package = root / "src" / "manyfutures"
    patterns = tomllib.loads((root / "pyproject.toml").read_text())["tool"]["setuptools"][
        "package-data"
    ]["manyfutures"]
    folder = Path(templates_module.__file__).parent / "templates"
    files = sorted(path.relative_to(package).as_posix() for path in folder.iterdir())
    assert len(files) == 3 * len(TEMPLATE_NAMES) + 2  # each kind's three, layout, footer
    unshipped = [f for f in files if not any(fnmatch.fnmatch(f, p) for p in patterns)]
    assert unshipped == []


@pytest.mark.parametrize("email", EVERY_KIND, ids=lambda e: type(e).__name__)
def test_an_email_a_reader_can_stop_shows_and_returns_its_signed_link(email: Email) -> None:
    secret = "s" * 32
    templates = JinjaEmailTemplates(APP_URL, "https://api.example.com/", secret)
    target = UnsubscribeTarget("org_a", "user_1", "episode_ready")
    rendered = templates.render(email, target)
    link = rendered.list_unsubscribe
    assert link is not None and link.startswith("https://api.example.com/unsubscribe/")
    assert verify_unsubscribe(secret.encode(), link.rsplit("/", 1)[1]) == target
    assert rendered.text.endswith(f"\nStop these emails: {link}")
    assert f'href="{link}"' in rendered.html
    plain = templates.render(email)
    assert plain.list_unsubscribe is None
    assert "Stop these emails" not in plain.text + plain.html


def test_a_link_cannot_be_made_without_the_apis_url_and_the_secret() -> None:
    target = UnsubscribeTarget("org_a", "user_1", "episode_ready")
    with pytest.raises(ValueError, match="unsubscribe links need"):
        JinjaEmailTemplates(APP_URL).render(READY, target)
