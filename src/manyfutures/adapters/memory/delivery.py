"""Memory mode's delivery jobs: each requested job is one batch, delivered at once.

``manyfutures run`` has no queue between the beat and the dispatcher, so "a job per
batch of due mail" means dispatching that many batches on the beat's own thread.
"""

from __future__ import annotations

from manyfutures.core.outbox.use_cases import DispatchOutbox


class InlineDeliveryJobs:
    def __init__(self, dispatch: DispatchOutbox) -> None:
        self._dispatch = dispatch

    def request(self, jobs: int) -> int:
        for _ in range(jobs):
            self._dispatch()
        return jobs
