"""CPU per request of the service's WSGI app against the floor's, in one process, and a profile.

bench/api_latency.py measures through HTTP on a shared machine, where requests/s swing
with everyone else's load. This calls both apps directly (no server, no sockets on
the HTTP side) with the same fixed set of requests: the bench's data, its Clerk RS256
tokens for 240 users (each user's current token, so the first request of each user
pays a verification and the others hit the cache, as within a token's minute), the
production rate limit in Redis, PostgreSQL with row-level security. CPU time of this
process per request (``time.process_time``) hardly depends on the machine's load, so
it is the figure to decide a change on; with ``--profile`` it also prints where the
service's time goes (cProfile, CPU clock, by own and cumulative time).

Usage::

    .venv/bin/python bench/api_profile.py [--requests 3000] [--rounds 3] [--profile]
"""

from __future__ import annotations

import argparse
import cProfile
import io
import json
import pstats
import random
import time
from collections.abc import Callable, Iterable
from dataclasses import replace
from typing import Any

from _session_tokens import SessionTokens
from api_floor_app import PAGE
from api_floor_app import create_app as create_floor_app
from api_latency import database, redis_url, seed, service_env, sessions
from werkzeug.test import EnvironBuilder

WsgiApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]


def requests(
    count: int, project_ids: dict[str, list[str]], tokens: list[str]
) -> list[dict[str, Any]]:
    """``count`` WSGI environs alternating the two routes, random users and projects,
    each user with its token from ``tokens``."""
    rng = random.Random(7)
    users = sessions()
    environs = []
    for n in range(count):
        index = rng.randrange(len(users))
        if n % 2 == 0:
            path = f"/v1/projects?limit={PAGE}"
        else:
            own = project_ids[users[index].organization_id]
            path = f"/v1/projects/{rng.choice(own)}/episodes?limit={PAGE}"
        builder = EnvironBuilder(path=path, headers={"Authorization": f"Bearer {tokens[index]}"})
        environs.append(builder.get_environ())
    return environs


def _start_response(status: str, headers: Any, exc_info: Any = None) -> None:
    if not status.startswith("200"):
        raise RuntimeError(f"a bench request was answered {status}")


def serve_all(app: WsgiApp, environs: list[dict[str, Any]]) -> None:
    for environ in environs:
        result = app(dict(environ), _start_response)
        b"".join(result)
        close = getattr(result, "close", None)
        if close is not None:
            close()


def cpu_ms_per_request(app: WsgiApp, environs: list[dict[str, Any]]) -> float:
    started = time.process_time()
    serve_all(app, environs)
    return (time.process_time() - started) * 1000 / len(environs)


def main() -> int:
    from manyfutures.entrypoints.http.server import load_service
    from manyfutures.settings import Settings

    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--requests", type=int, default=3000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--profile", action="store_true")
    parser.add_argument("--top", type=int, default=45)
    args = parser.parse_args()

    with database() as (owner_url, app_url, owner_engine, app_engine):
        project_ids = seed(owner_engine, app_engine)
        tokens = SessionTokens(sessions())
        env = service_env(owner_url, app_url, redis_url(), tokens.public_pem)
        settings = replace(Settings.from_env(env), web_workers=1)
        settings.validate()
        apps: dict[str, WsgiApp] = {
            "service": load_service(settings),
            "floor": create_floor_app(settings),
        }

        def fresh_requests() -> list[dict[str, Any]]:
            """New tokens for every user, as each minute brings: one verification per user."""
            nonlocal issued
            issued = max(issued + 1, int(time.time()))  # a new token for each user
            return requests(args.requests, project_ids, tokens.issued_at(issued))

        issued = int(time.time())
        for app in apps.values():  # pools, prepared statements, session admissions
            serve_all(app, fresh_requests())
        figures: dict[str, list[float]] = {name: [] for name in apps}
        for _ in range(args.rounds):
            environs = fresh_requests()
            for name, app in apps.items():
                figures[name].append(cpu_ms_per_request(app, environs))
        best = {name: min(values) for name, values in figures.items()}
        for name, values in figures.items():
            shown = ", ".join(f"{v:.3f}" for v in values)
            print(f"{name}: CPU ms per request {shown} (best {best[name]:.3f})")
        if args.profile:
            profiler = cProfile.Profile(time.process_time)
            profiler.runcall(serve_all, apps["service"], fresh_requests())
            for order in ("tottime", "cumulative"):
                out = io.StringIO()
                pstats.Stats(profiler, stream=out).sort_stats(order).print_stats(args.top)
                print(out.getvalue())
    print(
        json.dumps(
            {
                "bench": "api_profile",
                "requests": args.requests,
                "users": len(sessions()),
                "service_cpu_ms_per_request": round(best["service"], 3),
                "floor_cpu_ms_per_request": round(best["floor"], 3),
                "floor_to_service_cpu_ratio": round(best["floor"] / best["service"], 3),
            },
            sort_keys=True,
        )
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
