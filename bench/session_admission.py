"""What admitting a session costs per request: the remembered path and the re-check.

    .venv/bin/python bench/session_admission.py     # ~10 s

Every /v1 request is admitted (core/identity/admission.py: its user, organization
and membership exist and were not deleted). A process remembers admitted sessions
for 30 s (adapters/admitted_sessions.py), so almost every request takes the
remembered path, a look-up; the first request of a session in a process, and one
every 30 s after, re-checks the rows in a transaction of its own.

On a throwaway database (bench/_scratch.py), as the app role, this times:

* the remembered path (``actor in admitted``), 100 000 times;
* the re-check of a session whose rows exist (three primary-key or index reads in
  one transaction), 3 000 times after 300 warm-ups;
* for scale, the list-projects use case on the same tenant (an empty first page).

Printed: medians and p99s; the last line is one JSON object.
"""

from __future__ import annotations

import json
import statistics
import time

from _scratch import scratch_database

from manyfutures.adapters.admitted_sessions import AdmittedSessions
from manyfutures.adapters.clock import SystemClock
from manyfutures.adapters.ids import UlidGenerator
from manyfutures.adapters.postgres.engine import PoolOptions, create_app_engine
from manyfutures.adapters.postgres.unit_of_work import PostgresUnitOfWorkFactory
from manyfutures.core.identity.admission import AdmitSession, AdmitSessionCommand
from manyfutures.core.projects.use_cases import ListProjects, ListProjectsQuery
from manyfutures.core.shared.actor import Actor, Role

LOOKUPS = 100_000
WARM_UP = 300
READS = 3_000


def _timed(action: object, times: int) -> list[float]:
    assert callable(action)
    timings = []
    for _ in range(times):
        start = time.perf_counter()
        action()
        timings.append((time.perf_counter() - start) * 1000)
    return timings


def _p99(values: list[float]) -> float:
    return sorted(values)[int(len(values) * 0.99) - 1]


def main() -> int:
    actor = Actor("user_2bench", "org_2bench", Role.ADMIN)
    with scratch_database("manyfutures_admission") as scratch:
        engine = create_app_engine(scratch.app_url, PoolOptions(size=1))
        factory = PostgresUnitOfWorkFactory(engine)
        clock, ids = SystemClock(), UlidGenerator()
        admit = AdmitSession(factory, clock, ids)
        admit(AdmitSessionCommand(actor))  # creates the rows, as a first request would
        admitted = AdmittedSessions(clock)
        admitted.add(actor)
        list_projects = ListProjects(factory, clock, ids)

        remembered = _timed(lambda: actor in admitted, LOOKUPS)
        _timed(lambda: admit(AdmitSessionCommand(actor)), WARM_UP)
        recheck = _timed(lambda: admit(AdmitSessionCommand(actor)), READS)
        _timed(lambda: list_projects(ListProjectsQuery(actor, 20)), WARM_UP)
        listing = _timed(lambda: list_projects(ListProjectsQuery(actor, 20)), READS)
        engine.dispose()
        version = scratch.server_version

    figures = {
        "remembered_p50_ms": round(statistics.median(remembered), 5),
        "remembered_p99_ms": round(_p99(remembered), 5),
        "recheck_p50_ms": round(statistics.median(recheck), 4),
        "recheck_p99_ms": round(_p99(recheck), 4),
        "list_projects_p50_ms": round(statistics.median(listing), 4),
        "list_projects_p99_ms": round(_p99(listing), 4),
    }
    print(f"PostgreSQL {version}")
    print(
        f"remembered session: p50 {figures['remembered_p50_ms']} ms, "
        f"p99 {figures['remembered_p99_ms']} ms"
    )
    print(
        f"re-check (rows exist): p50 {figures['recheck_p50_ms']} ms, "
        f"p99 {figures['recheck_p99_ms']} ms"
    )
    print(
        f"list projects, for scale: p50 {figures['list_projects_p50_ms']} ms, "
        f"p99 {figures['list_projects_p99_ms']} ms"
    )
    print(json.dumps({"bench": "session_admission", "postgres": version, **figures}))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
