"""The functions RQ workers run, named by dotted path in the jobs the dispatcher enqueues.

Thin like HTTP handlers: resolve one use case from this process's container, call it
once (one unit of work per job), return something small for rq-dashboard. Whatever
fails is left to the Postgres queue: the item comes back when its lease runs out.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from rq import get_current_job

from manyfutures.adapters.memory.simulated_generator import SimulatedRun
from manyfutures.core.conversations.replies import ProduceReply, ProduceReplyCommand
from manyfutures.core.generation.ports import GenerationRequest
from manyfutures.core.generation.use_cases import StartGeneration, StartGenerationCommand
from manyfutures.core.outbox.use_cases import DispatchOutbox
from manyfutures.entrypoints.process_container import process_container
from manyfutures.log_context import log_context


@contextmanager
def _job(**ids: str | None) -> Iterator[None]:
    """The job's id and what it works on, on every line it logs."""
    job = get_current_job()
    with log_context(job_id=job.id if job is not None else None, **ids):
        yield


def start_generation(organization_id: str, queue_item_id: str, attempt: int) -> str | None:
    """The run it opened, or None if the attempt was stale or its project stopped."""
    with _job(organization_id=organization_id):
        use_case: StartGeneration = process_container().generation.start_generation()
        run = use_case(StartGenerationCommand(organization_id, queue_item_id, attempt))
        return run.id if run is not None else None


def deliver_outbox() -> str:
    """One batch of due mail (``RequestOutboxDelivery`` queues one job per batch)."""
    with _job():
        deliver: DispatchOutbox = process_container().outbox.dispatch_outbox()
        return str(deliver())


def simulate_generation(request: GenerationRequest) -> str:
    """The simulated generator's run, standing in for n8n (adapters/rq/simulation.py)."""
    with _job(
        organization_id=request.organization_id,
        run_id=request.run_id,
        episode_id=request.episode_id,
    ):
        simulate: SimulatedRun = process_container().generation.simulation()
        simulate(request)
        return request.run_id


def produce_reply(organization_id: str, message_id: str, attempt: int) -> str | None:
    """The reply's status once produced, or None if that attempt was no longer awaited."""
    with _job(organization_id=organization_id):
        produce: ProduceReply = process_container().conversations.produce_reply()
        status = produce(ProduceReplyCommand(organization_id, message_id, attempt))
        return status.value if status is not None else None
