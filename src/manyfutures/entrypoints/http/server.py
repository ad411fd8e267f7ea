"""``manyfutures serve``: the API under gunicorn, for production.

The app (container, connection pools, Redis clients) is built inside each worker
after gunicorn forks, never in the master, so no pooled connection is shared across
processes. Memory storage lives in one process, so it runs a single worker.
"""

from __future__ import annotations

import logging
from typing import Any

from gunicorn.app.base import BaseApplication
from gunicorn.glogging import Logger

from manyfutures.entrypoints.http.request_limits import SERVER_MAX_HEADER_LINE_BYTES
from manyfutures.settings import Settings

logger = logging.getLogger(__name__)


class ApiServer(BaseApplication):  # type: ignore[misc]
    def __init__(self, settings: Settings, options: dict[str, Any]) -> None:
        self._settings = settings
        self._options = options
        super().__init__()

    def load_config(self) -> None:
        for key, value in self._options.items():
            self.cfg.set(key, value)

    def load(self) -> Any:
        from manyfutures.adapters.metrics.prometheus import enable_metrics
        from manyfutures.container import build_container
        from manyfutures.entrypoints.http.app import create_app

        enable_metrics()  # in the worker, after the fork: its own files (ADR 0021)
        return create_app(build_container(self._settings))


class RootLogger(Logger):  # type: ignore[misc]
    """gunicorn's error and access lines through the root logger, so they come out in the
    process's log format (entrypoints/logs.py) instead of gunicorn's own."""

    def setup(self, cfg: Any) -> None:
        super().setup(cfg)
        for log in (self.error_log, self.access_log):
            for handler in list(log.handlers):
                log.removeHandler(handler)
            log.propagate = True


def forget_dead_worker(metrics_dir: str) -> Any:
    """gunicorn's ``child_exit`` hook: a dead worker's live gauges leave the scrape
    (prometheus-client's ``mark_process_dead``); its counters stay, as counters must."""

    def child_exit(server: Any, worker: Any) -> None:
        from prometheus_client import multiprocess

        multiprocess.mark_process_dead(worker.pid, metrics_dir)  # type: ignore[no-untyped-call]

    return child_exit


def gunicorn_options(settings: Settings) -> dict[str, Any]:
    workers = settings.web_workers
    if settings.storage == "memory" and workers > 1:
        logger.warning("memory storage lives in one process: serving with 1 worker")
        workers = 1
    return {
        "bind": f"{settings.host}:{settings.port}",
        "workers": workers,
        "threads": settings.web_threads,
        "worker_class": "gthread",
        "preload_app": False,
        "accesslog": "-",
        "errorlog": "-",
        "logger_class": RootLogger,
        # The request id the app echoed (entrypoints/http/observability.py) ends the line.
        "access_log_format": '%(h)s "%(r)s" %(s)s %(b)s %(M)sms rid=%({x-request-id}o)s',
        "timeout": 30,
        "graceful_timeout": 20,
        "keepalive": 5,
        # gunicorn >= 25.1 opens a control socket at one path per user ($XDG_RUNTIME_DIR or
        # ~/.gunicorn/gunicorn.ctl): a second server on the host replaces the first's,
        # and stopping either deletes it. Nothing here uses gunicornc; signals remain.
        "control_socket_disable": True,
        # Bodies past MANYFUTURES_MAX_BODY_BYTES are refused by the app (413). These bound
        # the request line and headers before it runs; a header line may be far longer
        # than the app's own total (431 problem+json past MAX_HEADER_BYTES), so a client
        # meets the server's plain-text refusal only well beyond what the API accepts.
        "limit_request_line": 8190,
        "limit_request_fields": 100,
        "limit_request_field_size": SERVER_MAX_HEADER_LINE_BYTES,
    }


def serve(settings: Settings) -> None:
    options = gunicorn_options(settings)
    if settings.metrics_dir:
        options["child_exit"] = forget_dead_worker(settings.metrics_dir)
    ApiServer(settings, options).run()
