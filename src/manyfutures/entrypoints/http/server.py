"""``manyfutures serve``: the API under granian (the default, ADR 0020) or gunicorn.

The app (container, connection pools, Redis clients) is built inside each worker
after the server forks, never in the master, so no pooled connection is shared across
processes. Memory storage lives in one process, so it runs a single worker.

Both servers get the same options story: ``web_workers`` processes of
``web_threads`` threads, HTTP/1.1 keep-alive for 5 s, an access log on stdout, a
graceful stop on SIGTERM (in-flight requests get 20 s), ``/healthz`` answered by the
app, and header limits above the app's own (so the app's 431 problem answers first).
gunicorn stays selectable (``MANYFUTURES_WEB_SERVER=gunicorn``): the API bench's
floor runs on it as the fixed reference.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from gunicorn.app.base import BaseApplication
from gunicorn.glogging import Logger

from manyfutures.entrypoints.http.request_limits import SERVER_MAX_HEADER_LINE_BYTES
from manyfutures.settings import Settings

logger = logging.getLogger(__name__)

KEEPALIVE_SECONDS = 5
GRACEFUL_SECONDS = 20
# Builds the WSGI app in a worker from the settings; picklable (a module-level function).
AppLoader = Callable[[Settings], Any]


def load_service(settings: Settings) -> Any:
    """Runs in each worker, after the fork: the app, and the worker's own metrics files."""
    from manyfutures.adapters.metrics.prometheus import enable_metrics
    from manyfutures.container import build_container
    from manyfutures.entrypoints.http.app import create_app

    enable_metrics()  # ADR 0021: only long-lived processes record, each into its own files
    return create_app(build_container(settings))


def web_workers(settings: Settings) -> int:
    if settings.storage == "memory" and settings.web_workers > 1:
        logger.warning("memory storage lives in one process: serving with 1 worker")
        return 1
    return settings.web_workers


class ApiServer(BaseApplication):  # type: ignore[misc]
    def __init__(
        self, settings: Settings, options: dict[str, Any], load_app: AppLoader = load_service
    ) -> None:
        self._settings = settings
        self._options = options
        self._load_app = load_app
        super().__init__()

    def load_config(self) -> None:
        for key, value in self._options.items():
            self.cfg.set(key, value)

    def load(self) -> Any:
        return self._load_app(self._settings)


class RootLogger(Logger):  # type: ignore[misc]
    """gunicorn's error and access lines through the root logger, so they come out in the
    process's log format (entrypoints/logs.py) instead of gunicorn's own."""

    def setup(self, cfg: Any) -> None:
        super().setup(cfg)
        for log in (self.error_log, self.access_log):
            for handler in list(log.handlers):
                log.removeHandler(handler)
            log.propagate = True


def gunicorn_options(settings: Settings) -> dict[str, Any]:
    return {
        "bind": f"{settings.host}:{settings.port}",
        "workers": web_workers(settings),
        "threads": settings.web_threads,
        "worker_class": "gthread",
        "preload_app": False,
        "accesslog": "-",
        "errorlog": "-",
        "logger_class": RootLogger,
        # The request id the app echoed (entrypoints/http/observability.py) ends the line.
        "access_log_format": '%(h)s "%(r)s" %(s)s %(b)s %(M)sms rid=%({x-request-id}o)s',
        "timeout": 30,
        "graceful_timeout": GRACEFUL_SECONDS,
        "keepalive": KEEPALIVE_SECONDS,
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


def serve(settings: Settings, load_app: AppLoader = load_service) -> None:
    if settings.web_server == "gunicorn":
        ApiServer(settings, gunicorn_options(settings), load_app).run()
        return
    from manyfutures.entrypoints.http.granian_server import serve_granian

    serve_granian(settings, load_app)
