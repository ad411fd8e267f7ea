"""The signed unsubscribe link and the notification switches, as properties.

A link we signed names exactly what it was signed for; a link changed anywhere, or
signed with another secret, names nothing. Switches are on until turned off, and a
change moves only the switches it names.
"""

from __future__ import annotations

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from manyfutures.core.notifications.model import (
    SWITCHES,
    Channel,
    NotificationKind,
    NotificationPreferences,
    PreferenceSetting,
)
from manyfutures.core.outbox.unsubscribe import (
    UnsubscribeTarget,
    sign_unsubscribe,
    verify_unsubscribe,
)
from manyfutures.core.shared.errors import ValidationError
from tests.support.builders import T0

SECRET = b"s" * 32
ids = st.text(st.characters(exclude_characters="\x1f", exclude_categories=("Cs",)), min_size=1)
targets = st.builds(UnsubscribeTarget, ids, ids, st.sampled_from(list(NotificationKind)))
TOKEN_ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_."


@given(targets)
def test_a_signed_link_names_what_it_was_signed_for(target: UnsubscribeTarget) -> None:
    token = sign_unsubscribe(SECRET, target)
    assert set(token) <= set(TOKEN_ALPHABET)  # safe in a URL path as it is
    assert verify_unsubscribe(SECRET, token) == target


@given(targets, st.data())
def test_a_link_changed_anywhere_is_refused(target: UnsubscribeTarget, data: st.DataObject) -> None:
    token = sign_unsubscribe(SECRET, target)
    position = data.draw(st.integers(0, len(token) - 1))
    replacement = data.draw(st.sampled_from(TOKEN_ALPHABET + "=/+ %"))
    assume(replacement != token[position])
    tampered = token[:position] + replacement + token[position + 1 :]
    with pytest.raises(ValidationError) as refused:
        verify_unsubscribe(SECRET, tampered)
    assert set(refused.value.field_errors) == {"token"}


@given(targets, st.binary(min_size=1))
def test_a_link_signed_with_another_secret_is_refused(
    target: UnsubscribeTarget, other: bytes
) -> None:
    assume(other != SECRET)
    with pytest.raises(ValidationError):
        verify_unsubscribe(SECRET, sign_unsubscribe(other, target))


@given(st.text(max_size=200))
def test_anything_else_is_refused_not_crashed_on(token: str) -> None:
    with pytest.raises(ValidationError):
        verify_unsubscribe(SECRET, token)


switch_changes = st.dictionaries(st.sampled_from(SWITCHES), st.booleans())


def stored(changes: dict[tuple[NotificationKind, Channel], bool]) -> list[PreferenceSetting]:
    return [
        PreferenceSetting(
            id=f"npref_{i}",
            organization_id="org_a",
            user_id="user_1",
            kind=kind,
            channel=channel,
            enabled=on,
            updated_at=T0,
        )
        for i, ((kind, channel), on) in enumerate(changes.items())
    ]


@given(switch_changes, switch_changes)
def test_a_change_moves_only_the_switches_it_names(
    before: dict[tuple[NotificationKind, Channel], bool],
    change: dict[tuple[NotificationKind, Channel], bool],
) -> None:
    preferences = NotificationPreferences.of("user_1", stored(before))
    after = preferences.with_changes(change)
    moved = preferences.changed_by(change)
    for switch in SWITCHES:
        expected = change.get(switch, before.get(switch, True))  # on unless turned off
        assert after.allows(*switch) is expected
        assert (switch in moved) is (preferences.allows(*switch) is not expected)
    assert preferences.with_changes(moved) == after
    assert after.as_mapping() == {
        kind: {channel: after.allows(kind, channel) for channel in Channel}
        for kind in NotificationKind
    }
