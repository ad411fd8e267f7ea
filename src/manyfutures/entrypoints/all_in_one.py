"""``manyfutures run``: HTTP API, scheduler beat, worker threads and outbox dispatcher together."""

from __future__ import annotations

import logging

from werkzeug.serving import run_simple

from manyfutures.adapters.metrics.prometheus import enable_metrics
from manyfutures.container import Container, build_container
from manyfutures.entrypoints.background_loop import BackgroundLoop
from manyfutures.entrypoints.demo import DEMO_ORG, DEMO_USER, seed_demo
from manyfutures.entrypoints.http.app import create_app
from manyfutures.settings import Settings

logger = logging.getLogger(__name__)


def run_all_in_one(settings: Settings, demo: bool) -> None:
    enable_metrics()
    container = build_container(settings)
    app = create_app(container)
    if demo:
        project = seed_demo(container)
        logger.info(
            "demo project %s created; try: curl -H 'X-Dev-User: %s' -H 'X-Dev-Org: %s' "
            "http://%s:%s/v1/projects/%s/episodes",
            project.id,
            DEMO_USER,
            DEMO_ORG,
            settings.host,
            settings.port,
            project.id,
        )
    logger.info(
        "console: open http://%s:%s/ in a browser%s",
        settings.host,
        settings.port,
        " and sign in as one of the demo users" if settings.auth == "dev" else "",
    )
    loops = background_loops(container)
    for loop in loops:
        loop.start()
    try:
        run_simple(settings.host, settings.port, app, threaded=True)
    finally:
        for loop in loops:
            loop.stop()
        container.scheduling.dispatcher().shutdown()


def background_loops(container: Container) -> tuple[BackgroundLoop, ...]:
    """What runs beside the web server in one process (also the browser tests' live app)."""
    config = container.config
    return (
        BackgroundLoop("scheduler", container.scheduling.scheduler_tick(), config.tick_seconds()),
        BackgroundLoop("outbox", container.outbox.request_delivery(), config.outbox_poll_seconds()),
        BackgroundLoop(
            "memories", container.memories.check_memory_stores(), config.memory_check_seconds()
        ),
        BackgroundLoop(
            "metrics", container.adapters.record_gauges(), config.metrics_gauge_seconds()
        ),
    )
