"""``manyfutures serve`` on granian: HTTP parsing and connections in Rust, the app in Python.

Chosen over gunicorn's threaded workers by measurement (ADR 0020): per request it
spends about a third of the CPU, which on a small machine is throughput. The options
mirror gunicorn's (server.py): ``web_workers`` processes, each running the WSGI app
on ``web_threads`` threads; HTTP/1.1 with keep-alive (an idle connection is closed
after ``KEEPALIVE_SECONDS``, granian's header-read timeout); the access log on
stdout; on SIGTERM/SIGINT each worker stops accepting, finishes what it has, and is
killed after ``GRACEFUL_SECONDS``; a worker that dies is replaced. gunicorn's own
30 s worker timeout has no granian equivalent: a hung request holds its thread.

Each worker builds the app after the fork (the loader runs in the worker), so no
pooled connection crosses processes. A worker needs no exit hook for its metrics:
its files are named by the slot its successor takes over (ADR 0021).
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable
from functools import partial
from typing import Any

from granian.constants import HTTPModes, Interfaces
from granian.http import HTTP1Settings
from granian.log import LogLevels
from granian.server import MPServer

from manyfutures.entrypoints.http.server import (
    GRACEFUL_SECONDS,
    KEEPALIVE_SECONDS,
    AppLoader,
    web_workers,
)
from manyfutures.settings import Settings

# Replaces granian's loggers (their own stdout handlers, propagation off); root is untouched.
ROUTED_TO_ROOT: dict[str, Any] = {
    "loggers": {
        "_granian": {"handlers": [], "propagate": True},
        "granian.access": {"handlers": [], "level": "INFO", "propagate": True},
    }
}
WsgiApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]


def granian_server(settings: Settings) -> MPServer:
    return MPServer(
        # Only names the processes: the app comes from the loader given to serve().
        "manyfutures",
        address=settings.host,
        port=settings.port,
        interface=Interfaces.WSGI,
        workers=web_workers(settings),
        blocking_threads=settings.web_threads,
        http=HTTPModes.http1,
        http1_settings=HTTP1Settings(header_read_timeout=KEEPALIVE_SECONDS * 1000),
        websockets=False,
        log_level=LogLevels(settings.log_level.lower()),
        log_access=True,
        # granian's own lines and its access log go through the root logger, in the
        # process's format (entrypoints/logs.py: JSON lines in production).
        log_dictconfig=ROUTED_TO_ROOT,
        respawn_failed_workers=True,
        workers_kill_timeout=GRACEFUL_SECONDS,
    )


def serve_granian(settings: Settings, load_app: AppLoader) -> None:
    granian_server(settings).serve(
        target_loader=partial(_worker_app, load_app, settings), wrap_loader=False
    )


def _worker_app(load_app: AppLoader, settings: Settings) -> WsgiApp:
    return without_process_environment(load_app(settings), dict(os.environ))


def without_process_environment(app: WsgiApp, inherited: dict[str, str]) -> WsgiApp:
    """The app sees the request's environ only, as under gunicorn.

    granian starts every request's environ from a copy of the process environment
    (CGI style), so a variable such as ``HTTP_PROXY`` would read as a request header
    and the secrets in the environment (database URLs, keys) would travel with every
    request. An entry is dropped when it still holds the inherited value; a header the
    client sent under the same name replaces it and is kept.
    """
    items = tuple(inherited.items())

    def request_only(environ: dict[str, Any], start_response: Callable[..., Any]) -> Any:
        for key, value in items:
            if environ.get(key) == value:
                del environ[key]
        return app(environ, start_response)

    return request_only
