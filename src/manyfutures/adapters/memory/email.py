"""Email in memory mode: kept in a list (tests read it) and written to the log.

The log shows what a reader would read: the subject and the plain-text part (links
included), and whether an HTML part came with it. The HTML itself is kept, not logged:
it is the same content with markup, and would bury the log.
"""

from __future__ import annotations

import logging
import textwrap
import threading

from manyfutures.core.outbox.ports import EmailMessage

logger = logging.getLogger(__name__)


class ConsoleEmailSender:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.sent: list[EmailMessage] = []

    def send(self, message: EmailMessage) -> None:
        with self._lock:
            self.sent.append(message)
        parts = "text" if message.html is None else f"text + HTML ({len(message.html)} chars)"
        logger.info(
            "email %s to %s: %s [%s]\n%s",
            message.message_id,
            message.to,
            message.subject,
            parts,
            # Every line marked, blank ones too, so the body reads as one block in the log.
            textwrap.indent(message.text.rstrip("\n"), "    | ", lambda _: True),
        )
