"""API latency under load: PostgreSQL storage, gunicorn, 16 concurrent connections.

One organization holds 10 000 projects and 200 000 episodes; two others hold their
own data so row-level security has something to filter. For 20 s, 16 keep-alive
connections alternate ``GET /v1/projects`` and ``GET /v1/projects/<id>/episodes``.
Printed: requests/s, p50 and p99 per route, and the p50 of the same SQL executed
directly (as the app role, tenant set) with the HTTP/SQL ratio. The last line is one
JSON object with every figure and the target (p99 < 25 ms).

Usage::

    .venv/bin/python bench/api_latency.py

The database is a throwaway one (created, migrated and dropped) on the server the
Postgres test suite uses: MANYFUTURES_TEST_DATABASE_URL, default the local server.

It needs the PostgreSQL storage wired into the container (MANYFUTURES_STORAGE=postgres);
without it the bench says so and exits 2. Traffic goes to 127.0.0.1 only.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import random
import socket
import statistics
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

TARGET_P99_MS = 25.0
ORG, USER = "org_bench", "user_bench"
OTHER_ORGS = ("org_other_1", "org_other_2")
PROJECTS, EPISODES = 10_000, 200_000
OTHER_PROJECTS, OTHER_EPISODES = 2_000, 20_000
CONNECTIONS, SECONDS = 16, 20.0
SQL_SAMPLES = 2_000


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    index = min(len(ordered) - 1, max(0, round(q * (len(ordered) - 1))))
    return ordered[index]


def postgres_wired() -> bool:
    from manyfutures.settings import CHOICES

    return "postgres" in CHOICES["storage"]


@contextmanager
def database() -> Iterator[tuple[str, str, Any, Any]]:
    """(owner URL, app URL, owner engine, app engine) for a migrated database."""
    from tests.integration.postgres.database import shared_test_database

    with shared_test_database() as db:
        yield (
            db.owner_url.render_as_string(hide_password=False),
            db.app_url.render_as_string(hide_password=False),
            db.owner_engine,
            db.app_engine,
        )


def seed(owner_engine: Any) -> None:
    from sqlalchemy import text

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
    for org, projects, episodes in tenants:
        per_project = episodes // projects
        with owner_engine.begin() as conn:
            conn.execute(text("SELECT set_config('app.current_org_id', :org, true)"), {"org": org})
            conn.execute(
                text(
                    "INSERT INTO organizations"
                    " (id, name, daily_cost_limit_gbp, created_at, updated_at)"
                    " VALUES (:org, :org, 50, now(), now())"
                ),
                {"org": org},
            )
            conn.execute(
                text(
                    "INSERT INTO memberships (id, organization_id, user_id, role, created_at)"
                    " VALUES ('mem_' || :org, :org, :user, 'admin', now())"
                ),
                {"org": org, "user": USER},
            )
            conn.execute(
                text(
                    "INSERT INTO projects (id, organization_id, created_by, title,"
                    " onboarding_brief, cadence_mode, cadence_days, cadence_delivery_time,"
                    " cadence_timezone, status,"
                    " next_scheduled_at, memory_storage, version, created_at, updated_at)"
                    " SELECT 'proj_' || :org || '_' || lpad(n::text, 8, '0'), :org, :user,"
                    " 'Project ' || n, 'Brief ' || n, 'weekly', ARRAY[1]::smallint[], '09:00',"
                    " 'Europe/London', 'ACTIVE', now() + interval '1 day', 'json', 1,"
                    " now(), now() FROM generate_series(1, :n) AS n"
                ),
                {"org": org, "user": USER, "n": projects},
            )
            conn.execute(
                text(
                    "INSERT INTO episodes (id, organization_id, project_id, status, title, summary,"
                    " scheduled_for, published_at, reading_minutes, generation_attempts,"
                    " progress_stage, progress_percent, created_at, updated_at)"
                    " SELECT 'ep_' || :org || '_' || lpad(p::text, 8, '0')"
                    " || '_' || lpad(e::text, 4, '0'),"
                    " :org, 'proj_' || :org || '_' || lpad(p::text, 8, '0'), 'PUBLISHED',"
                    " 'Episode ' || e, 'Summary', now() - e * interval '1 week',"
                    " now() - e * interval '1 week', 4, 1, 'review', 100, now(), now()"
                    " FROM generate_series(1, :projects) AS p, generate_series(1, :per) AS e"
                ),
                {"org": org, "projects": projects, "per": per_project},
            )
    with owner_engine.begin() as conn:
        conn.execute(text("ANALYZE"))


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@contextmanager
def server(owner_url: str, app_url: str, workers: int, threads: int) -> Iterator[int]:
    port = free_port()
    env = {
        **os.environ,
        "MANYFUTURES_STORAGE": "postgres",
        "MANYFUTURES_DATABASE_URL": owner_url,
        "MANYFUTURES_APP_DATABASE_URL": app_url,
        # Loopback-only bench: dev headers stand in for Clerk, forced explicitly.
        "MANYFUTURES_AUTH": "dev",
        "MANYFUTURES_ALLOW_DEV_AUTH": "true",
        "MANYFUTURES_RATE_LIMIT": "10000000 per minute",
        "MANYFUTURES_LOG_LEVEL": "WARNING",
    }
    process = subprocess.Popen(
        [
            str(ROOT / ".venv" / "bin" / "manyfutures"),
            "serve",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--workers",
            str(workers),
            "--threads",
            str(threads),
        ],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    try:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                    break
            except OSError:
                if process.poll() is not None:
                    output = process.stderr.read().decode() if process.stderr else ""
                    raise RuntimeError(f"the server did not start:\n{output}") from None
                time.sleep(0.2)
        yield port
    finally:
        process.terminate()
        process.wait(timeout=30)


HEADERS = {"X-Dev-User": USER, "X-Dev-Org": ORG, "X-Dev-Role": "admin"}


def project_id(n: int) -> str:
    return f"proj_{ORG}_{n:08d}"


def load(port: int, seconds: float, connections: int) -> dict[str, list[float]]:
    samples: dict[str, list[float]] = {"projects": [], "episodes": []}
    errors: list[str] = []
    lock = threading.Lock()
    stop_at = time.monotonic() + seconds

    def worker(seed: int) -> None:
        rng = random.Random(seed)
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        mine: dict[str, list[float]] = {"projects": [], "episodes": []}
        turn = seed % 2
        while time.monotonic() < stop_at:
            if turn == 0:
                route, path = "projects", "/v1/projects?limit=20"
            else:
                route = "episodes"
                path = f"/v1/projects/{project_id(rng.randint(1, PROJECTS))}/episodes?limit=20"
            turn ^= 1
            started = time.perf_counter()
            conn.request("GET", path, headers=HEADERS)
            response = conn.getresponse()
            response.read()
            elapsed = (time.perf_counter() - started) * 1000
            if response.status != 200:
                with lock:
                    errors.append(f"{path}: {response.status}")
                continue
            mine[route].append(elapsed)
        conn.close()
        with lock:
            for key, values in mine.items():
                samples[key].extend(values)

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(connections)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    if errors:
        raise RuntimeError(f"{len(errors)} non-200 responses, e.g. {errors[:3]}")
    return samples


def direct_sql(app_engine: Any) -> dict[str, float]:
    """p50 (ms) of the statements behind each route, as the app role with the tenant set."""
    from sqlalchemy import text

    set_tenant = text("SELECT set_config('app.current_org_id', :org, true)")
    projects = text("SELECT * FROM projects WHERE deleted_at IS NULL ORDER BY id DESC LIMIT 20")
    project_check = text("SELECT * FROM projects WHERE id = :p AND deleted_at IS NULL")
    episode_page = text("SELECT * FROM episodes WHERE project_id = :p ORDER BY id DESC LIMIT 20")
    rng = random.Random(7)
    timings: dict[str, list[float]] = {"projects": [], "episodes": []}
    with app_engine.connect() as conn:
        for _ in range(SQL_SAMPLES):
            started = time.perf_counter()
            with conn.begin():
                conn.execute(set_tenant, {"org": ORG})
                conn.execute(projects).fetchall()
            timings["projects"].append((time.perf_counter() - started) * 1000)
            pid = project_id(rng.randint(1, PROJECTS))
            started = time.perf_counter()
            with conn.begin():
                conn.execute(set_tenant, {"org": ORG})
                conn.execute(project_check, {"p": pid}).fetchall()
                conn.execute(episode_page, {"p": pid}).fetchall()
            timings["episodes"].append((time.perf_counter() - started) * 1000)
    return {key: statistics.median(values) for key, values in timings.items()}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seconds", type=float, default=SECONDS)
    parser.add_argument("--connections", type=int, default=CONNECTIONS)
    parser.add_argument("--workers", type=int, default=3)
    parser.add_argument("--threads", type=int, default=4)
    args = parser.parse_args()
    if not postgres_wired():
        print(
            "MANYFUTURES_STORAGE=postgres is not wired into the container yet; nothing to measure"
        )
        print(json.dumps({"bench": "api_latency", "skipped": "postgres storage not wired"}))
        return 2

    with database() as (owner_url, app_url, owner_engine, app_engine):
        started = time.perf_counter()
        seed(owner_engine)
        took = time.perf_counter() - started
        print(f"seeded {PROJECTS} projects / {EPISODES} episodes in {took:.1f} s")
        with server(owner_url, app_url, args.workers, args.threads) as port:
            load(port, 2.0, 4)  # warm-up: pools, caches, JIT-free but still cold paths
            samples = load(port, args.seconds, args.connections)
        sql = direct_sql(app_engine)

    total = sum(len(values) for values in samples.values())
    every = [v for values in samples.values() for v in values]
    result: dict[str, Any] = {
        "bench": "api_latency",
        "connections": args.connections,
        "seconds": args.seconds,
        "gunicorn": {"workers": args.workers, "threads": args.threads},
        "requests_per_second": round(total / args.seconds, 1),
        "p50_ms": round(percentile(every, 0.50), 2),
        "p99_ms": round(percentile(every, 0.99), 2),
        "target_p99_ms": TARGET_P99_MS,
        "meets_target": percentile(every, 0.99) < TARGET_P99_MS,
        "routes": {},
    }
    for route, values in samples.items():
        p50 = percentile(values, 0.50)
        result["routes"][route] = {
            "requests": len(values),
            "p50_ms": round(p50, 2),
            "p99_ms": round(percentile(values, 0.99), 2),
            "sql_p50_ms": round(sql[route], 3),
            "http_to_sql_p50_ratio": round(p50 / sql[route], 1),
        }
    print(f"{total} requests in {args.seconds:.0f} s: {result['requests_per_second']} req/s")
    for route, figures in result["routes"].items():
        print(
            f"  GET {route:9s} p50 {figures['p50_ms']:7.2f} ms  p99 {figures['p99_ms']:7.2f} ms"
            f"  | SQL p50 {figures['sql_p50_ms']:6.3f} ms"
            f"  ratio {figures['http_to_sql_p50_ratio']}x"
        )
    print(
        f"overall p50 {result['p50_ms']} ms, p99 {result['p99_ms']} ms "
        f"(target p99 < {TARGET_P99_MS} ms: {'met' if result['meets_target'] else 'NOT met'})"
    )
    print(json.dumps(result, sort_keys=True))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
