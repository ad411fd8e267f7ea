"""``manyfutures scheduler``: the tick on its beat, handing claimed items to RQ, the
outbox's beat, queueing a delivery job per batch of due mail, and the daily memory check,
moving the projects that crossed a migration trigger to table-stored memories.

Run as many as you like (two for availability): the claim is what keeps them apart.
``FOR UPDATE SKIP LOCKED`` gives each due item to one claimer, the attempt number makes
each claim's job id unique, and Redis refuses a second job of that id (ADR 0012). The
outbox's delivery jobs claim their messages the same way, so a delivery job queued by
both schedulers sends nothing twice.
"""

from __future__ import annotations

import logging
import signal
from types import FrameType

from manyfutures.adapters.metrics.prometheus import enable_metrics
from manyfutures.container import build_container
from manyfutures.entrypoints.background_loop import BackgroundLoop
from manyfutures.settings import Settings

logger = logging.getLogger(__name__)


def run_scheduler(settings: Settings) -> None:
    enable_metrics()  # a long-lived process: it writes its own files (ADR 0021)
    container = build_container(settings)
    loop = BackgroundLoop("scheduler", container.scheduling.scheduler_tick(), settings.tick_seconds)
    outbox = BackgroundLoop(
        "outbox", container.outbox.request_delivery(), settings.outbox_poll_seconds
    )
    # Two schedulers may both check a project: its move holds the project's lock and a
    # project already on the table is left alone, so the second finds nothing to do.
    memories = BackgroundLoop(
        "memories", container.memories.check_memory_stores(), settings.memory_check_seconds
    )
    gauges = BackgroundLoop(
        "metrics", container.adapters.record_gauges(), settings.metrics_gauge_seconds
    )

    def stop(signum: int, frame: FrameType | None) -> None:
        logger.info("%s: stopping after this beat", signal.Signals(signum).name)
        loop.request_stop()
        outbox.request_stop()
        memories.request_stop()
        gauges.request_stop()

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    logger.info(
        "scheduler: a beat every %ss, the outbox's every %ss",
        settings.tick_seconds,
        settings.outbox_poll_seconds,
    )
    outbox.start()
    memories.start()
    gauges.start()
    try:
        loop.run()
    finally:
        outbox.stop()
        memories.stop()
        gauges.stop()
