"""A found run's credentials are remembered per process; an unknown run never is."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from manyfutures.adapters.remembered_run_locator import RememberedRunLocator
from manyfutures.container import build_container
from manyfutures.core.generation.ports import RunCredentials
from manyfutures.settings import Settings

UNREACHABLE = "127.0.0.1:9"


class _CountingLocator:
    """Knows the runs it was given; counts how often each id was asked for."""

    def __init__(self, runs: dict[str, RunCredentials]) -> None:
        self.runs = runs
        self.asked: dict[str, int] = {}

    def locate(self, run_id: str) -> RunCredentials | None:
        self.asked[run_id] = self.asked.get(run_id, 0) + 1
        return self.runs.get(run_id)


ALICE = RunCredentials("org_a", "hash_a")


def test_a_found_run_is_located_once_and_answered_from_memory_after() -> None:
    inner = _CountingLocator({"run_a": ALICE})
    locator = RememberedRunLocator(inner)
    assert [locator.locate("run_a") for _ in range(4)] == [ALICE] * 4
    assert inner.asked == {"run_a": 1}


def test_an_unknown_run_is_asked_for_every_time_and_found_once_it_exists() -> None:
    inner = _CountingLocator({})
    locator = RememberedRunLocator(inner)
    assert locator.locate("run_new") is None
    assert locator.locate("run_new") is None
    inner.runs["run_new"] = ALICE
    assert locator.locate("run_new") == ALICE
    assert inner.asked == {"run_new": 3}


@given(st.lists(st.sampled_from([f"run_{n}" for n in range(6)]), max_size=40))
def test_it_answers_what_the_inner_locator_answers(
    asked: list[str],
) -> None:
    known = {f"run_{n}": RunCredentials(f"org_{n}", f"hash_{n}") for n in range(0, 6, 2)}
    inner = _CountingLocator(known)
    locator = RememberedRunLocator(inner, capacity=2)
    for run_id in asked:
        assert locator.locate(run_id) == known.get(run_id)


def test_the_least_recently_used_run_goes_first_when_full() -> None:
    inner = _CountingLocator({f"run_{n}": ALICE for n in range(3)})
    locator = RememberedRunLocator(inner, capacity=2)
    for run_id in ("run_0", "run_1", "run_0", "run_2", "run_0", "run_1"):
        locator.locate(run_id)
    # run_1 was the least recently used when run_2 came, so it was asked for again.
    assert inner.asked == {"run_0": 1, "run_1": 2, "run_2": 1}


def test_with_postgres_storage_the_callbacks_locator_remembers_found_runs() -> None:
    container = build_container(
        Settings(
            storage="postgres",
            database_url=f"postgresql+psycopg://owner@{UNREACHABLE}/manyfutures",
            redis_url=f"redis://{UNREACHABLE}/0",
        )
    )
    assert isinstance(container.adapters.run_locator(), RememberedRunLocator)
