"""API throughput and latency under load: PostgreSQL, Clerk tokens, 16 concurrent connections.

One organization holds 10 000 projects and 200 000 episodes; two others hold their
own data so row-level security has something to filter. Ids are shaped like the
service's own (creation time first, then randomness, as ULIDs are), spread over a
year, so the tenants' rows interleave in every id index as they do in production.
Authentication is production's: Clerk RS256 session tokens signed with the bench's
own key pair, for 240 users (200 in the big organization, 20 in each other one), each
user's token re-minted every 60 s as Clerk's are (bench/_session_tokens.py), so a
token cache sees the misses it would in production. The rate limit is production's
default (600 per minute per user) with its counters in Redis.

16 keep-alive connections alternate ``GET /v1/projects`` and
``GET /v1/projects/<id>/episodes`` (random users, random projects of the user's
organization) for 20 s, in four 5 s slices that rotate (each in turn first) with the
same load on the *floor* (bench/api_floor_app.py: the same SQL behind gunicorn with
the same options and pool settings, and nothing else) and, when the service runs on
another server, on the same floor app behind that server (bench/api_floor_served.py),
so a shared machine's slow spells hit all alike; each figure is the median over the
slices. Then each route alone for 10 s at 16 connections and 5 s at 4. Printed:
requests/s, p50 and p99 for each side, and the p50 of the same SQL executed directly
(as the app role, tenant set) with the HTTP/SQL ratio. The last line is one JSON
object with every figure, the ratios to the floors and the targets (service at least
0.9 x the gunicorn floor's requests/s; p99 < 25 ms).

The load comes from wrk (``apt-get install wrk``), a C load generator: a Python one
would take the GIL and most of a core from the two the server has.

Usage::

    .venv/bin/python bench/api_latency.py

The database is a throwaway one (bench/_scratch.py: created, migrated and dropped
with its roles) on MANYFUTURES_BENCH_DATABASE_URL, default the local server.

Traffic goes to 127.0.0.1 only.

Rate-limit counters and idempotency keys go to Redis as in production
(MANYFUTURES_REDIS_URL, else the local Redis on 127.0.0.1:6379 if it answers, else
in memory); the output says which. Server, workers and threads default to what
``manyfutures serve`` runs with (``--server gunicorn`` measures the service on the
floor's server).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import random
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, Any

from _proc import cpu_seconds, process_tree
from _session_tokens import ISSUER, Session, SessionTokens
from api_floor_app import ORG, PAGE, episodes_page, projects_page, run_scoped

TARGET_P99_MS = 25.0
TARGET_RATIO, STRETCH_RATIO = 0.9, 1.0
USER = "user_bench"
USERS = {ORG: 200, "org_other_1": 20, "org_other_2": 20}
LIGHT_CONNECTIONS, LIGHT_SECONDS = 4, 5.0
OTHER_ORGS = ("org_other_1", "org_other_2")
PROJECTS, EPISODES = 10_000, 200_000
OTHER_PROJECTS, OTHER_EPISODES = 2_000, 20_000
CONNECTIONS, SECONDS = 16, 20.0
SQL_SAMPLES = 2_000
# A server imports the whole service before it listens: slow on a machine shared by many.
STARTUP_SECONDS = 120


@contextmanager
def database() -> Iterator[tuple[str, str, Any, Any]]:
    """(owner URL, app URL, owner engine, app engine) for a throwaway migrated database."""
    from _scratch import scratch_database

    from manyfutures.adapters.postgres.engine import PoolOptions, create_app_engine

    with scratch_database("manyfutures_api") as scratch:
        owner_engine = create_app_engine(scratch.owner_url, PoolOptions(size=2))
        app_engine = create_app_engine(scratch.app_url, PoolOptions(size=4, max_overflow=8))
        try:
            yield (
                scratch.owner_url.render_as_string(hide_password=False),
                scratch.app_url.render_as_string(hide_password=False),
                owner_engine,
                app_engine,
            )
        finally:
            app_engine.dispose()
            owner_engine.dispose()


def sessions() -> list[Session]:
    """The bench's users, each a member of one organization."""
    return [
        Session(f"user_{org}_{n:03d}", org) for org, count in USERS.items() for n in range(count)
    ]


def seed(owner_engine: Any, app_engine: Any) -> dict[str, list[str]]:
    """Load the tenants and the users' memberships; returns each organization's project ids."""
    from _scratch import add_organizations
    from sqlalchemy import text

    from manyfutures.adapters.postgres.unit_of_work import SET_TENANT

    tenants = [(ORG, PROJECTS, EPISODES)] + [
        (o, OTHER_PROJECTS, OTHER_EPISODES) for o in OTHER_ORGS
    ]
    with owner_engine.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO users (id, email, name, timezone, created_at, updated_at)"
                " VALUES (:id, 'bench@example.org', 'Bench', 'Europe/London', now(), now())"
            ),
            {"id": USER},
        )
    add_organizations(app_engine, [org for org, _, _ in tenants], datetime.now(UTC))
    for org, projects, episodes in tenants:
        per_project = episodes // projects
        with owner_engine.begin() as conn:
            conn.execute(SET_TENANT, {"org": org})
            conn.execute(
                text(
                    "INSERT INTO memberships (id, organization_id, user_id, role, created_at)"
                    " VALUES ('mem_' || :org, :org, :user, 'admin', now())"
                ),
                {"org": org, "user": USER},
            )
            conn.execute(
                text(
                    "INSERT INTO users (id, email, name, timezone, created_at, updated_at)"
                    " SELECT u, u || '@example.org', u, 'Europe/London', now(), now()"
                    " FROM unnest(CAST(:users AS text[])) AS u"
                ),
                {"users": [s.user_id for s in sessions() if s.organization_id == org]},
            )
            conn.execute(
                text(
                    "INSERT INTO memberships (id, organization_id, user_id, role, created_at)"
                    " SELECT 'mem_' || u, :org, u, 'admin', now()"
                    " FROM unnest(CAST(:users AS text[])) AS u"
                ),
                {"org": org, "users": [s.user_id for s in sessions() if s.organization_id == org]},
            )
            conn.execute(
                text(
                    "INSERT INTO projects (id, organization_id, created_by, title,"
                    " onboarding_brief, cadence_mode, cadence_days, cadence_delivery_time,"
                    " cadence_timezone, status,"
                    " next_scheduled_at, memory_storage, version, created_at, updated_at)"
                    " SELECT 'proj_' || lpad((extract(epoch FROM t.at) * 1000)::bigint::text,"
                    " 13, '0') || substr(md5(:org || n), 1, 13), :org, :user,"
                    " 'Project ' || n, 'Brief ' || n, 'weekly', ARRAY[1]::smallint[], '09:00',"
                    " 'Europe/London', 'ACTIVE', now() + interval '1 day', 'json', 1,"
                    " t.at, t.at FROM generate_series(1, :n) AS n,"
                    " LATERAL (SELECT now() - interval '1 year'"
                    " + interval '1 year' * (n - random()) / :n AS at) AS t"
                ),
                {"org": org, "user": USER, "n": projects},
            )
            conn.execute(
                text(
                    "INSERT INTO episodes (id, organization_id, project_id, status, title, summary,"
                    " scheduled_for, published_at, reading_minutes, generation_attempts,"
                    " progress_stage, progress_percent, created_at, updated_at)"
                    " SELECT 'ep_' || lpad((extract(epoch FROM t.at) * 1000)::bigint::text,"
                    " 13, '0') || substr(md5(p.id || e), 1, 13),"
                    " :org, p.id, 'PUBLISHED', 'Episode ' || e, 'Summary', t.at, t.at, 4, 1,"
                    " 'review', 100, t.at, t.at"
                    " FROM projects AS p, generate_series(1, :per) AS e,"
                    " LATERAL (SELECT now() - e * interval '1 week' - random() * interval '1 day'"
                    " AS at) AS t"
                    " WHERE p.organization_id = :org"
                ),
                {"org": org, "per": per_project},
            )
    with owner_engine.begin() as conn:
        conn.execute(text("ANALYZE"))
    ids = {}
    for org, _, _ in tenants:
        with owner_engine.begin() as conn:
            conn.execute(SET_TENANT, {"org": org})
            ids[org] = list(
                conn.execute(
                    text("SELECT id FROM projects WHERE organization_id = :org ORDER BY id"),
                    {"org": org},
                ).scalars()
            )
    return ids


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def _failure(why: str, stderr: IO[bytes]) -> RuntimeError:
    stderr.seek(0)
    return RuntimeError(f"the server {why}:\n{stderr.read().decode(errors='replace')}")


@dataclass(frozen=True)
class Served:
    """A running server: its port, and the process whose tree serves it."""

    port: int
    pid: int

    def cpu_seconds(self) -> float:
        """User + system CPU of the server and every process under it (its workers)."""
        return sum(cpu_seconds(process_tree(self.pid)).values())


@contextmanager
def _serving(argv: list[str], env: dict[str, str]) -> Iterator[Served]:
    """Run a server on a free loopback port until the block ends.

    Its stderr goes to a file, read only if it fails to start: a pipe nobody reads
    while the bench runs would fill up and block the server mid-bench.
    """
    port = free_port()
    with tempfile.TemporaryFile() as stderr:
        process = subprocess.Popen(
            [arg.replace("{port}", str(port)) for arg in argv],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=stderr,
        )
        try:
            deadline = time.monotonic() + STARTUP_SECONDS
            while time.monotonic() < deadline:
                try:
                    with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                        break
                except OSError:
                    if process.poll() is not None:
                        raise _failure(f"exited with {process.returncode}", stderr) from None
                    time.sleep(0.2)
            else:
                raise _failure(f"was not listening on its port after {STARTUP_SECONDS} s", stderr)
            yield Served(port, process.pid)
        finally:
            process.terminate()
            process.wait(timeout=30)


def service_env(owner_url: str, app_url: str, redis_url: str, jwt_key: str) -> dict[str, str]:
    """The settings ``manyfutures serve`` runs with in production; the floors get the same."""
    env = {
        key: value
        for key, value in os.environ.items()
        # Production's defaults, not whatever this shell has: the rate limit and auth.
        if key not in ("MANYFUTURES_RATE_LIMIT", "MANYFUTURES_ALLOW_DEV_AUTH")
    }
    return {
        **env,
        "MANYFUTURES_STORAGE": "postgres",
        # Loopback-only bench: a fixed secret signs its unsubscribe links.
        "MANYFUTURES_UNSUBSCRIBE_SECRET": "bench-unsubscribe-secret-0123456789abcdef",
        # ...and the console's session cookies, which serving HTTP over PostgreSQL requires.
        "MANYFUTURES_CONSOLE_SECRET": "bench-console-secret-0123456789abcdef0123",
        "MANYFUTURES_DATABASE_URL": owner_url,
        "MANYFUTURES_APP_DATABASE_URL": app_url,
        "MANYFUTURES_AUTH": "clerk",
        "CLERK_ISSUER": ISSUER,
        "CLERK_JWT_KEY": jwt_key,
        "MANYFUTURES_LOG_LEVEL": "WARNING",
        # Production keeps rate-limit counters (and idempotency keys) in Redis; "" is the
        # in-process fallback, whose expiry timer thread production never runs.
        "MANYFUTURES_REDIS_URL": redis_url,
    }


def service(
    env: dict[str, str], server: str, workers: int, threads: int
) -> contextlib.AbstractContextManager[Served]:
    """``manyfutures serve``, as production runs it."""
    argv = [str(Path(sys.executable).with_name("manyfutures")), "serve", "--host", "127.0.0.1"]
    argv += ["--port", "{port}", "--workers", str(workers), "--threads", str(threads)]
    return _serving(argv, {**env, "MANYFUTURES_WEB_SERVER": server})


def floor(
    env: dict[str, str], workers: int, threads: int
) -> contextlib.AbstractContextManager[Served]:
    """The same SQL behind gunicorn and nothing else (bench/api_floor_app.py)."""
    argv = [sys.executable, str(Path(__file__).resolve().with_name("api_floor_app.py"))]
    argv += ["--port", "{port}", "--workers", str(workers), "--threads", str(threads)]
    return _serving(argv, env)


def served_floor(
    env: dict[str, str], server: str, workers: int, threads: int
) -> contextlib.AbstractContextManager[Served]:
    """The floor app behind the service's own server (bench/api_floor_served.py)."""
    argv = [sys.executable, str(Path(__file__).resolve().with_name("api_floor_served.py"))]
    argv += ["--port", "{port}", "--workers", str(workers), "--threads", str(threads)]
    return _serving(argv, {**env, "MANYFUTURES_WEB_SERVER": server})


DEFAULT_REDIS_URL = "redis://127.0.0.1:6379/0"


def redis_url() -> str:
    """MANYFUTURES_REDIS_URL if set, else the local Redis if one answers, else "" (memory)."""
    configured = os.environ.get("MANYFUTURES_REDIS_URL")
    if configured is not None:
        return configured
    try:
        with socket.create_connection(("127.0.0.1", 6379), timeout=0.5) as sock:
            sock.sendall(b"PING\r\n")
            if sock.recv(16).startswith(b"+PONG"):
                return DEFAULT_REDIS_URL
    except OSError:
        pass
    return ""


WRK_SCRIPT = """
local n = 0
local ids = {%(ids)s}
local users = {%(users)s}
math.randomseed(7)
request = function()
  n = n + 1
  local user = users[math.random(1, #users)]
  local now = os.time()
  local token = user.tokens[1][2]
  for _, pair in ipairs(user.tokens) do
    if pair[1] <= now then token = pair[2] end
  end
  local headers = {Authorization = "Bearer " .. token}
  local route = "%(route)s"
  if route == "projects" or (route == "mixed" and n %% 2 == 0) then
    return wrk.format("GET", "/v1/projects?limit=%(page)d", headers)
  end
  local own = ids[user.org]
  local id = own[math.random(1, #own)]
  return wrk.format("GET", "/v1/projects/" .. id .. "/episodes?limit=%(page)d", headers)
end
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    '{"requests": %%d, "non_2xx": %%d, "socket_errors": %%d, "duration_us": %%d, '
    .. '"p50_us": %%d, "p99_us": %%d, "max_us": %%d}\\n',
    summary.requests, e.status, e.connect + e.read + e.write + e.timeout, summary.duration,
    latency:percentile(50), latency:percentile(99), latency.max))
end
"""


def _lua_string(value: str) -> str:
    return '"' + value + '"'


def wrk_script(
    route: str, seconds: float, project_ids: dict[str, list[str]], tokens: SessionTokens
) -> str:
    """The Lua for one load: every organization's ids, every user's tokens current during it."""
    orgs = list(project_ids)
    ids = ",".join("{" + ",".join(_lua_string(i) for i in project_ids[org]) + "}" for org in orgs)
    users = []
    for session, schedule in zip(sessions(), tokens.schedule(seconds), strict=True):
        current = ",".join(f"{{{instant},{_lua_string(token)}}}" for instant, token in schedule)
        users.append(f"{{org={orgs.index(session.organization_id) + 1}, tokens={{{current}}}}}")
    return WRK_SCRIPT % {"route": route, "ids": ids, "users": ",".join(users), "page": PAGE}


def load(
    server: Served,
    seconds: float,
    connections: int,
    route: str,
    project_ids: dict[str, list[str]],
    tokens: SessionTokens,
) -> dict[str, float]:
    """Drive the server with wrk (C, one thread per core) so the load generator does not
    compete with the server for the GIL; returns requests/s and latency percentiles (ms)."""
    wrk = shutil.which("wrk")
    if wrk is None:
        raise SystemExit("wrk is needed for this bench: apt-get install wrk")
    with tempfile.NamedTemporaryFile("w", suffix=".lua") as handle:
        handle.write(wrk_script(route, seconds, project_ids, tokens))
        handle.flush()
        cpu_before = server.cpu_seconds()
        output = subprocess.run(
            [
                wrk,
                "-t",
                "2",
                "-c",
                str(connections),
                "-d",
                f"{max(1, round(seconds))}s",
                "--timeout",
                "10s",
                "-s",
                handle.name,
                f"http://127.0.0.1:{server.port}",
            ],
            capture_output=True,
            text=True,
        )
        cpu = server.cpu_seconds() - cpu_before
    if output.returncode != 0:
        raise RuntimeError(f"wrk failed: {output.stderr or output.stdout}")
    figures = json.loads(output.stdout.strip().splitlines()[-1])
    if figures["non_2xx"] or figures["socket_errors"]:
        raise RuntimeError(f"wrk saw failures: {figures}")
    return {
        "requests": figures["requests"],
        "requests_per_second": figures["requests"] / (figures["duration_us"] / 1e6),
        "p50_ms": figures["p50_us"] / 1000,
        "p99_ms": figures["p99_us"] / 1000,
        "max_ms": figures["max_us"] / 1000,
        "cpu_ms_per_request": cpu * 1000 / max(figures["requests"], 1),
    }


def median_figures(slices: list[dict[str, float]]) -> dict[str, float]:
    """Each figure's median over the slices; requests are summed."""
    figures = {key: statistics.median(f[key] for f in slices) for key in slices[0]}
    figures["requests"] = sum(f["requests"] for f in slices)
    return figures


def direct_sql(app_engine: Any, project_ids: list[str]) -> dict[str, float]:
    """p50 (ms) of the statements behind each route, as the app role with the tenant set.

    The statements the floor serves (the repositories' whole-row ones, prebuilt at
    import), each route's in one transaction with the tenant's ``set_config`` first,
    as the floor sends them; only the pool checkout, HTTP and Python around them are
    missing. The service now sends less (its list pages' narrower statements, and
    ``BEGIN`` with the tenant setting as one message: docs/api.md, "Performance").
    """
    rng = random.Random(7)
    timings: dict[str, list[float]] = {"projects": [], "episodes": []}
    with app_engine.connect() as conn:
        for _ in range(SQL_SAMPLES):
            for route, statements in (
                ("projects", projects_page()),
                ("episodes", episodes_page(rng.choice(project_ids))),
            ):
                started = time.perf_counter()
                run_scoped(conn, statements)
                timings[route].append((time.perf_counter() - started) * 1000)
    return {key: statistics.median(values) for key, values in timings.items()}


def _rounded(figures: dict[str, float]) -> dict[str, float]:
    return {
        "requests_per_second": round(figures["requests_per_second"], 1),
        "p50_ms": round(figures["p50_ms"], 2),
        "p99_ms": round(figures["p99_ms"], 2),
    }


def main() -> int:
    from manyfutures.settings import Settings

    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seconds", type=float, default=SECONDS)
    parser.add_argument("--connections", type=int, default=CONNECTIONS)
    # Default: what `manyfutures serve` runs with (MANYFUTURES_WEB_SERVER, _WORKERS, _THREADS).
    settings = Settings.from_env(os.environ)
    parser.add_argument("--server", choices=("granian", "gunicorn"), default=settings.web_server)
    parser.add_argument("--workers", type=int, default=settings.web_workers)
    parser.add_argument("--threads", type=int, default=settings.web_threads)
    parser.add_argument("--route-seconds", type=float, default=10.0)
    parser.add_argument("--rounds", type=int, default=4)
    args = parser.parse_args()
    if args.rounds < 1 or args.seconds / args.rounds < 1:
        parser.error("--rounds must be at least 1, with slices of at least one second")
    slice_seconds = args.seconds / args.rounds

    with database() as (owner_url, app_url, owner_engine, app_engine):
        started = time.perf_counter()
        project_ids = seed(owner_engine, app_engine)
        took = time.perf_counter() - started
        print(f"seeded {PROJECTS} projects / {EPISODES} episodes in {took:.1f} s")
        redis = redis_url()
        print(f"rate limits and idempotency keys: {'Redis ' + redis if redis else 'in memory'}")
        tokens = SessionTokens(sessions())
        env = service_env(owner_url, app_url, redis, tokens.public_pem)
        sides = {"service": service(env, args.server, args.workers, args.threads)}
        sides["gunicorn floor"] = floor(env, args.workers, args.threads)
        if args.server != "gunicorn":
            sides["floor"] = served_floor(env, args.server, args.workers, args.threads)
        with contextlib.ExitStack() as stack:
            servers = {name: stack.enter_context(side) for name, side in sides.items()}
            for server in servers.values():  # pools, prepared statements, caches
                load(server, 3.0, args.connections, "mixed", project_ids, tokens)
            # Rotating slices: a shared machine's slow spells hit every side alike.
            names = list(servers)
            slices: dict[str, list[dict[str, float]]] = {name: [] for name in names}
            for round_number in range(args.rounds):
                shift = round_number % len(names)
                for name in names[shift:] + names[:shift]:
                    slices[name].append(
                        load(
                            servers[name],
                            slice_seconds,
                            args.connections,
                            "mixed",
                            project_ids,
                            tokens,
                        )
                    )
            medians = {name: median_figures(side) for name, side in slices.items()}
            routes = {
                route: load(
                    servers["service"],
                    args.route_seconds,
                    args.connections,
                    route,
                    project_ids,
                    tokens,
                )
                for route in ("projects", "episodes")
            }
            light = {
                route: load(
                    servers["service"], LIGHT_SECONDS, LIGHT_CONNECTIONS, route, project_ids, tokens
                )
                for route in ("projects", "episodes")
            }
        sql = direct_sql(app_engine, project_ids[ORG])
        for name, side in slices.items():
            shown = ", ".join(
                f"{f['requests_per_second']:.0f} req/s p99 {f['p99_ms']:.1f} ms"
                f" cpu {f['cpu_ms_per_request']:.2f} ms/req"
                for f in side
            )
            print(f"{name} slices: {shown}")
        print(f"session tokens minted: {tokens.minted} for {len(sessions())} users")

    mixed = medians["service"]
    gunicorn_floor = medians["gunicorn floor"]
    same_floor = medians.get("floor", gunicorn_floor)
    result: dict[str, Any] = {
        "bench": "api_latency",
        "server": args.server,
        "auth": "clerk",
        "users": len(sessions()),
        "connections": args.connections,
        "seconds": args.seconds,
        "rounds": args.rounds,
        "workers": args.workers,
        "threads": args.threads,
        "shared_state": "redis" if redis else "memory",
        "requests_per_second": round(mixed["requests_per_second"], 1),
        "p50_ms": round(mixed["p50_ms"], 2),
        "p99_ms": round(mixed["p99_ms"], 2),
        "floor_requests_per_second": round(same_floor["requests_per_second"], 1),
        "floor_p99_ms": round(same_floor["p99_ms"], 2),
        "gunicorn_floor_requests_per_second": round(gunicorn_floor["requests_per_second"], 1),
        "gunicorn_floor_p99_ms": round(gunicorn_floor["p99_ms"], 2),
        # The server processes' CPU per request: load-independent, unlike requests/s.
        "cpu_ms_per_request": round(mixed["cpu_ms_per_request"], 3),
        "floor_cpu_ms_per_request": round(same_floor["cpu_ms_per_request"], 3),
        "gunicorn_floor_cpu_ms_per_request": round(gunicorn_floor["cpu_ms_per_request"], 3),
        "floor_to_service_cpu_ratio": round(
            same_floor["cpu_ms_per_request"] / mixed["cpu_ms_per_request"], 3
        ),
        "service_to_floor_ratio": round(
            mixed["requests_per_second"] / same_floor["requests_per_second"], 3
        ),
        "service_to_gunicorn_floor_ratio": round(
            mixed["requests_per_second"] / gunicorn_floor["requests_per_second"], 3
        ),
        "target_ratio": TARGET_RATIO,
        "stretch_ratio": STRETCH_RATIO,
        "target_p99_ms": TARGET_P99_MS,
        "meets_target_ratio": (
            mixed["requests_per_second"] >= TARGET_RATIO * gunicorn_floor["requests_per_second"]
        ),
        "meets_target_p99": mixed["p99_ms"] < TARGET_P99_MS,
        "routes": {},
    }
    print(
        f"mixed (median of {args.rounds} slices, {args.server}): {mixed['requests']:.0f} requests"
        f" in {args.seconds:.0f} s, "
        f"{result['requests_per_second']} req/s, p50 {result['p50_ms']} ms, "
        f"p99 {result['p99_ms']} ms, cpu {result['cpu_ms_per_request']} ms/req"
    )
    for route, figures in routes.items():
        result["routes"][route] = {
            **_rounded(figures),
            f"p99_ms_at_{LIGHT_CONNECTIONS}_connections": round(light[route]["p99_ms"], 2),
            "sql_p50_ms": round(sql[route], 3),
            "http_to_sql_p50_ratio": round(figures["p50_ms"] / sql[route], 1),
        }
        shown = result["routes"][route]
        print(
            f"  GET {route:9s} {shown['requests_per_second']:7.1f} req/s"
            f"  p50 {shown['p50_ms']:6.2f} ms  p99 {shown['p99_ms']:6.2f} ms"
            f"  (p99 at {LIGHT_CONNECTIONS} connections"
            f" {shown[f'p99_ms_at_{LIGHT_CONNECTIONS}_connections']:6.2f} ms)"
            f"  | SQL p50 {shown['sql_p50_ms']:6.3f} ms  ratio {shown['http_to_sql_p50_ratio']}x"
        )
    for name, figures in medians.items():
        if name != "service":
            shown = _rounded(figures)
            print(
                f"{name}: {shown['requests_per_second']} req/s, p50 {shown['p50_ms']} ms,"
                f" p99 {shown['p99_ms']} ms, cpu {figures['cpu_ms_per_request']:.3f} ms/req"
            )
    print(
        f"service / floor on {args.server} = {result['service_to_floor_ratio']};"
        f" service / gunicorn floor = {result['service_to_gunicorn_floor_ratio']}"
        f" (target {TARGET_RATIO}: {'met' if result['meets_target_ratio'] else 'NOT met'})"
    )
    print(
        f"overall p99 {result['p99_ms']} ms "
        f"(target p99 < {TARGET_P99_MS} ms: {'met' if result['meets_target_p99'] else 'NOT met'})"
    )
    print(json.dumps(result, sort_keys=True))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
