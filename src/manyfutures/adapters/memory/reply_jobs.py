"""Memory mode's reply jobs: a small thread pool instead of RQ workers, so posting a
message returns at once here too and the client polls, as in production."""

from __future__ import annotations

import logging
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any

from manyfutures.core.conversations.replies import ProduceReply, ProduceReplyCommand

logger = logging.getLogger(__name__)


class ThreadReplyJobs:
    def __init__(self, produce_reply: ProduceReply, workers: int = 2) -> None:
        self._produce_reply = produce_reply
        self._pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="assistant")

    def request(self, organization_id: str, message_id: str, attempt: int) -> None:
        command = ProduceReplyCommand(organization_id, message_id, attempt)
        self._pool.submit(self._produce_reply, command).add_done_callback(_log_failure)


def _log_failure(future: Future[Any]) -> None:
    error = future.exception()
    if error is not None:
        # The reply stays pending; past its deadline the reader may retry it.
        logger.error("assistant reply job failed", exc_info=error)
