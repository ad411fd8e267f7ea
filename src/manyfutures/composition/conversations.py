"""Conversations' use cases, the assistant they ask and the jobs that ask it.

``MANYFUTURES_ASSISTANT`` picks the assistant (local or the n8n chat workflow);
``MANYFUTURES_DISPATCHER`` picks where replies are produced: a thread pool in this
process (``threads``) or RQ jobs on the ``assistant`` queue (``rq``), each job calling
the same ``produce_reply``.
"""

from __future__ import annotations

from dependency_injector import containers, providers

from manyfutures.adapters.memory.local_assistant import LocalAssistant
from manyfutures.adapters.memory.reply_jobs import ThreadReplyJobs
from manyfutures.adapters.n8n.assistant import N8nAssistant
from manyfutures.adapters.rq.replies import RqReplyJobs
from manyfutures.composition.use_case import use_case
from manyfutures.core.conversations.onboarding import CompleteOnboarding, StartOnboarding
from manyfutures.core.conversations.replies import ProduceReply
from manyfutures.core.conversations.sessions import (
    GetTranscript,
    PostMessage,
    RetryReply,
    StartChat,
)
from manyfutures.core.conversations.spending import ReplyLimits
from manyfutures.core.costs.prices import PriceTable

# The RQ job that produces one reply (entrypoints/jobs.py; a path, as the worker imports it).
PRODUCE_REPLY_JOB = "manyfutures.entrypoints.jobs.produce_reply"


class ConversationsContainer(containers.DeclarativeContainer):
    config = providers.Configuration(strict=True)
    adapters = providers.DependenciesContainer()

    limits = providers.Singleton(
        ReplyLimits.from_settings,
        config.max_assistant_reply_cost_gbp,
        config.assistant_reply_deadline_seconds,
    )
    assistant = providers.Selector(
        config.assistant,
        local=providers.Singleton(LocalAssistant),
        n8n=providers.Singleton(
            N8nAssistant,
            webhook_url=config.n8n_chat_webhook_url,
            header_name=config.n8n_webhook_header_name,
            header_value=config.n8n_webhook_header_value,
            connect_timeout=config.n8n_connect_timeout_seconds,
            read_timeout=config.assistant_timeout_seconds,
        ),
    )
    produce_reply = use_case(
        ProduceReply,
        adapters,
        assistant,
        limits,
        providers.Singleton(PriceTable.from_json, config.model_prices_gbp),
        adapters.email_templates,
    )
    reply_jobs = providers.Selector(
        config.dispatcher,
        threads=providers.Singleton(ThreadReplyJobs, produce_reply),
        rq=providers.Singleton(
            RqReplyJobs,
            adapters.redis_connection,
            PRODUCE_REPLY_JOB,
            limits.provided.deadline,
        ),
    )
    start_onboarding = use_case(StartOnboarding, adapters)
    complete_onboarding = use_case(CompleteOnboarding, adapters, adapters.plan_defaults)
    start_chat = use_case(StartChat, adapters)
    get_transcript = use_case(GetTranscript, adapters)
    post_message = use_case(PostMessage, adapters, reply_jobs, limits, adapters.email_templates)
    retry_reply = use_case(RetryReply, adapters, reply_jobs, limits, adapters.email_templates)
