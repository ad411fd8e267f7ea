"""Settings for the assistant: which one answers, its webhook, its clocks and its cost."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest

from manyfutures.adapters.memory.local_assistant import LocalAssistant
from manyfutures.adapters.memory.reply_jobs import ThreadReplyJobs
from manyfutures.adapters.n8n.assistant import N8nAssistant
from manyfutures.adapters.rq.replies import RqReplyJobs
from manyfutures.container import build_container
from manyfutures.settings import Settings, SettingsError
from tests.support.container import UNSUBSCRIBE_SECRET

N8N = {
    "MANYFUTURES_ASSISTANT": "n8n",
    "N8N_CHAT_WEBHOOK_URL": "https://n8n.example.com/webhook/manyfutures-assistant-chat",
    "N8N_WEBHOOK_HEADER_VALUE": "secret",
}


def test_memory_mode_answers_locally_on_threads() -> None:
    container = build_container(Settings.from_env({}))
    assert isinstance(container.conversations.assistant(), LocalAssistant)
    assert isinstance(container.conversations.reply_jobs(), ThreadReplyJobs)
    limits = container.conversations.limits()
    assert (limits.max_cost_gbp, limits.deadline) == (Decimal("0.10"), timedelta(seconds=120))


def test_production_asks_n8n_through_rq_jobs() -> None:
    settings = Settings.from_env(
        {
            **N8N,
            "MANYFUTURES_STORAGE": "postgres",
            "MANYFUTURES_DATABASE_URL": "postgresql://owner@db/app",
            "MANYFUTURES_ALLOW_DEV_AUTH": "true",
            "MANYFUTURES_DISPATCHER": "rq",
            "MANYFUTURES_REDIS_URL": "redis://127.0.0.1:1/0",
            "MANYFUTURES_UNSUBSCRIBE_SECRET": UNSUBSCRIBE_SECRET,
        }
    )
    container = build_container(settings)
    assert isinstance(container.conversations.assistant(), N8nAssistant)
    assert isinstance(container.conversations.reply_jobs(), RqReplyJobs)


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"N8N_CHAT_WEBHOOK_URL": ""}, "N8N_CHAT_WEBHOOK_URL"),
        ({"N8N_CHAT_WEBHOOK_URL": "ftp://n8n.example.com/x"}, "N8N_CHAT_WEBHOOK_URL"),
        ({"N8N_WEBHOOK_HEADER_VALUE": ""}, "N8N_WEBHOOK_HEADER_VALUE"),
        ({"MANYFUTURES_ASSISTANT": "openai"}, "MANYFUTURES_ASSISTANT"),
        ({"MANYFUTURES_ASSISTANT_TIMEOUT_SECONDS": "0"}, "ASSISTANT_TIMEOUT_SECONDS"),
        ({"MANYFUTURES_ASSISTANT_REPLY_DEADLINE_SECONDS": "63"}, "REPLY_DEADLINE_SECONDS"),
        ({"MANYFUTURES_MAX_ASSISTANT_REPLY_COST_GBP": "0"}, "MAX_ASSISTANT_REPLY_COST_GBP"),
        ({"MANYFUTURES_MAX_ASSISTANT_REPLY_COST_GBP": "NaN"}, "MAX_ASSISTANT_REPLY_COST_GBP"),
    ],
)
def test_a_bad_assistant_setting_stops_start_up_naming_it(
    overrides: dict[str, str], message: str
) -> None:
    with pytest.raises(SettingsError, match=message):
        Settings.from_env({**N8N, **overrides})


def test_the_deadline_must_outlast_the_wait_for_an_answer() -> None:
    """60 s read + 3 s connect: a job still waiting must not be taken for a lost one."""
    assert Settings.from_env({"MANYFUTURES_ASSISTANT_REPLY_DEADLINE_SECONDS": "64"})
