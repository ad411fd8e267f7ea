"""A real SMTP server for the tests: aiosmtpd on 127.0.0.1, answering as it is scripted.

``RecordingHandler`` keeps every message it was handed (with its ``Message-ID``, its
content type, its plain-text and HTML parts, its unsubscribe headers, and whether its
session was encrypted) and answers each DATA with the next scripted reply (``"250 OK"``
once the script runs out); ``HOLD`` keeps the reply back for good, as a server that
stalls mid-send.
A server that cannot start raises: the test fails, it never skips.
"""

from __future__ import annotations

import asyncio
import threading
from collections import deque
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from email import message_from_bytes
from email.policy import default
from typing import Any

from aiosmtpd.controller import Controller
from port_for import get_port

HOLD = "hold"
SENDER = "Many Futures <briefs@manyfutures.example>"
SENDER_DOMAIN = "manyfutures.example"


@dataclass(frozen=True)
class Received:
    message_id: str
    recipients: tuple[str, ...]
    subject: str
    text: str
    content_type: str
    html: str | None
    encrypted: bool
    list_unsubscribe: str | None
    list_unsubscribe_post: str | None


class RecordingHandler:
    def __init__(self, *replies: str, refuse: dict[str, str] | None = None) -> None:
        self._replies = deque(replies)
        self._refuse = dict(refuse or {})
        self._lock = threading.Lock()
        self.received: list[Received] = []
        self.holding = threading.Event()

    async def handle_RCPT(  # noqa: N802 (aiosmtpd calls it by this name)
        self, server: Any, session: Any, envelope: Any, address: str, options: list[str]
    ) -> str:
        if address in self._refuse:
            return self._refuse[address]
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802
        parsed = message_from_bytes(envelope.original_content, policy=default)
        text = parsed.get_body(preferencelist=("plain",))
        html = parsed.get_body(preferencelist=("html",))
        with self._lock:
            self.received.append(
                Received(
                    message_id=str(parsed["Message-ID"]),
                    recipients=tuple(envelope.rcpt_tos),
                    subject=str(parsed["Subject"]),
                    text=_content(text) or "",
                    content_type=parsed.get_content_type(),
                    html=_content(html),
                    # STARTTLS or implicit TLS: either way the transport is TLS's.
                    encrypted=server.transport.get_extra_info("ssl_object") is not None,
                    list_unsubscribe=_header(parsed, "List-Unsubscribe"),
                    list_unsubscribe_post=_header(parsed, "List-Unsubscribe-Post"),
                )
            )
            reply = self._replies.popleft() if self._replies else "250 OK"
        if reply == HOLD:
            self.holding.set()
            await asyncio.Event().wait()  # never answers; cancelled when the server stops
        return reply

    def answer(self, *replies: str) -> None:
        """Answer the next messages' DATA with these replies, in order."""
        with self._lock:
            self._replies.extend(replies)

    def message_ids(self) -> list[str]:
        with self._lock:
            return [message.message_id for message in self.received]


def _header(message: Any, name: str) -> str | None:
    value = message[name]
    return None if value is None else str(value)


def _content(part: Any) -> str | None:
    return None if part is None else str(part.get_content()).replace("\r\n", "\n")


@contextmanager
def smtp_server(handler: RecordingHandler, **options: Any) -> Iterator[int]:
    """Serve ``handler`` on 127.0.0.1 (``options`` go to aiosmtpd); yields the port."""
    port = get_port(None)
    assert port is not None
    controller = Controller(
        handler, hostname="127.0.0.1", port=int(port), ready_timeout=10, **options
    )
    controller.start()
    try:
        yield int(port)
    finally:
        controller.stop()
