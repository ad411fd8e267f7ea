"""Test doubles for the conversations' ports: reply jobs that wait to be run, and an
assistant that answers from a script."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from manyfutures.core.conversations.model import MessageStatus
from manyfutures.core.conversations.ports import (
    AssistantReply,
    AssistantRequest,
    AssistantUnavailableError,
)
from manyfutures.core.conversations.replies import ProduceReply, ProduceReplyCommand


@dataclass
class HeldReplyJobs:
    """Records each requested job; ``run_all`` runs them later, as a worker would."""

    produce: Callable[[], ProduceReply]
    waiting: list[ProduceReplyCommand] = field(default_factory=list)

    def request(self, organization_id: str, message_id: str, attempt: int) -> None:
        self.waiting.append(ProduceReplyCommand(organization_id, message_id, attempt))

    def run_all(self) -> list[MessageStatus | None]:
        commands, self.waiting = self.waiting, []
        return [self.produce()(command) for command in commands]


@dataclass
class ScriptedAssistant:
    """Answers with ``answer`` (or the fallback) and remembers every request; ``fail``
    makes the next calls raise until cleared."""

    fallback: Callable[[AssistantRequest], AssistantReply]
    requests: list[AssistantRequest] = field(default_factory=list)
    fail: str | None = None

    def reply(self, request: AssistantRequest) -> AssistantReply:
        self.requests.append(request)
        if self.fail is not None:
            raise AssistantUnavailableError(self.fail)
        return self.fallback(request)
