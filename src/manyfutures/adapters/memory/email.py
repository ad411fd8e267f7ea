"""Email in memory mode: kept in a list (tests read it) and written to the log."""

from __future__ import annotations

import logging
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
        logger.info("email %s to %s: %s", message.message_id, message.to, message.subject)
