"""A passage quoted from an episode is highlighted where it first appears (the console's
highlight form, which has no offsets to send)."""

from __future__ import annotations

import pytest

from manyfutures.core.feedback.highlights import HighlightQuoteCommand
from manyfutures.core.identity.features import FeatureNotEnabledError
from manyfutures.core.identity.use_cases import UpdateOrganizationCommand
from manyfutures.core.shared.actor import Actor
from manyfutures.core.shared.errors import ValidationError
from tests.unit.use_cases.conftest import Harness
from tests.unit.use_cases.test_generation_pipeline import start_now, succeeded

CONTENT = "# Grid week\n\nStorage prices fell — again. Storage prices matter."


def published(harness: Harness, actor: Actor) -> str:
    harness.apply_result(succeeded(start_now(harness, actor), content=CONTENT))
    return harness.generator.requests[-1].episode_id


def enable_highlights(harness: Harness, actor: Actor) -> None:
    harness.container.identity.update_organization()(
        UpdateOrganizationCommand(actor, enabled_features=("highlights",))
    )


def test_the_quote_is_found_at_its_first_appearance(harness: Harness, alice: Actor) -> None:
    episode_id = published(harness, alice)
    enable_highlights(harness, alice)
    quote = harness.container.feedback.highlight_quote()
    highlight = quote(HighlightQuoteCommand(alice, episode_id, "Storage prices", "  why?  "))
    start = CONTENT.index("Storage prices")
    assert (highlight.start_offset, highlight.end_offset) == (start, start + len("Storage prices"))
    assert (highlight.text, highlight.note) == ("Storage prices", "why?")
    after_dash = quote(HighlightQuoteCommand(alice, episode_id, "— again."))
    assert CONTENT[after_dash.start_offset : after_dash.end_offset] == "— again."


@pytest.mark.parametrize("text", ["storage prices fell", "Not in it", "", "   "])
def test_a_quote_not_in_the_text_is_refused(harness: Harness, alice: Actor, text: str) -> None:
    episode_id = published(harness, alice)
    enable_highlights(harness, alice)
    quote = harness.container.feedback.highlight_quote()
    with pytest.raises(ValidationError) as refused:
        quote(HighlightQuoteCommand(alice, episode_id, text))
    assert "text" in refused.value.field_errors
    with harness.uow() as uow:
        assert uow.highlights.list_for_episode(episode_id) == []


def test_without_the_feature_nothing_is_highlighted(harness: Harness, alice: Actor) -> None:
    episode_id = published(harness, alice)
    with pytest.raises(FeatureNotEnabledError):
        harness.container.feedback.highlight_quote()(
            HighlightQuoteCommand(alice, episode_id, "Storage prices")
        )
