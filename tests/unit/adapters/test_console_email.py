"""Memory mode's console sender: keeps every part of a message, logs what a reader reads."""

from __future__ import annotations

import logging

import pytest

from manyfutures.adapters.memory.email import ConsoleEmailSender
from manyfutures.core.outbox.ports import EmailMessage

MAIL = EmailMessage(
    message_id="outbox_1",
    to="reader@example.org",
    subject="Your Many Futures episode is ready: Grid week",
    text="Storage is cheap.\n\nRead it: http://127.0.0.1:8000/episodes/ep_1\n",
    html='<p>Storage is cheap.</p><a href="http://127.0.0.1:8000/episodes/ep_1">Read it</a>',
)


def test_it_keeps_the_html_and_logs_the_subject_and_the_text(
    caplog: pytest.LogCaptureFixture,
) -> None:
    sender = ConsoleEmailSender()
    with caplog.at_level(logging.INFO, logger="manyfutures.adapters.memory.email"):
        sender.send(MAIL)
    assert sender.sent == [MAIL]
    (record,) = caplog.records
    logged = record.getMessage()
    assert "outbox_1 to reader@example.org: Your Many Futures episode is ready" in logged
    assert logged.endswith(
        "\n    | Storage is cheap.\n    | \n    | Read it: http://127.0.0.1:8000/episodes/ep_1"
    )
    assert f"text + HTML ({len(MAIL.html or '')} chars)" in logged
