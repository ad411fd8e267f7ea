"""Prefixed ULIDs: unique, and sorting them sorts by creation."""

from __future__ import annotations

import itertools
import threading
from unittest import mock

from hypothesis import given, settings
from hypothesis import strategies as st

from manyfutures.adapters.ids import UlidGenerator

CROCKFORD = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
MAX_MS = 2**48 - 1


def decode(text: str) -> int:
    value = 0
    for char in text:
        value = value * 32 + CROCKFORD.index(char)
    return value


def parts(identifier: str) -> tuple[str, int, int]:
    """(prefix, milliseconds, random part) of ``prefix_<10 time chars><16 random chars>``."""
    prefix, _, body = identifier.rpartition("_")
    assert len(body) == 26
    assert set(body) <= set(CROCKFORD)
    return prefix, decode(body[:10]), decode(body[10:])


class FakeTime:
    """Stands in for the ``time`` module inside the generator: returns scripted readings."""

    def __init__(self, readings_ms: list[int]) -> None:
        self._readings = iter(readings_ms)

    def time_ns(self) -> int:
        return next(self._readings) * 1_000_000


def test_ids_carry_the_prefix_and_are_unique_and_ordered() -> None:
    generator = UlidGenerator()
    ids = [generator.new_id("ep") for _ in range(5_000)]
    assert all(i.startswith("ep_") and len(i) == len("ep_") + 26 for i in ids)
    assert len(set(ids)) == len(ids)
    assert sorted(ids) == ids


def test_prefixes_with_underscores_are_kept_whole() -> None:
    identifier = UlidGenerator().new_id("queue_item")
    assert parts(identifier)[0] == "queue_item"


def test_many_ids_in_the_same_millisecond_still_sort_in_creation_order() -> None:
    generator = UlidGenerator()
    with mock.patch("manyfutures.adapters.ids.time", FakeTime([1_700_000_000_000] * 2_000)):
        ids = [generator.new_id("evt") for _ in range(2_000)]
    assert sorted(ids) == ids
    assert len(set(ids)) == len(ids)
    decoded = [parts(i) for i in ids]
    assert {ms for _, ms, _ in decoded} == {1_700_000_000_000}
    randoms = [r for _, _, r in decoded]
    assert randoms == list(range(randoms[0], randoms[0] + len(randoms)))


@settings(max_examples=200, deadline=None)
@given(st.lists(st.integers(min_value=0, max_value=MAX_MS), min_size=1, max_size=50))
def test_ids_increase_even_when_the_clock_stalls_or_goes_back(readings: list[int]) -> None:
    generator = UlidGenerator()
    with mock.patch("manyfutures.adapters.ids.time", FakeTime(readings)):
        ids = [generator.new_id("ep") for _ in readings]
    assert all(first < second for first, second in itertools.pairwise(ids))
    # The time part is the latest clock reading seen so far: never goes backwards.
    running_max = [max(readings[: n + 1]) for n in range(len(readings))]
    assert [parts(i)[1] for i in ids] == running_max


def test_ids_from_many_threads_are_unique_and_each_thread_sees_them_increase() -> None:
    generator = UlidGenerator()
    per_thread: list[list[str]] = [[] for _ in range(8)]
    start = threading.Barrier(len(per_thread))

    def work(bucket: list[str]) -> None:
        start.wait()
        for _ in range(1_000):
            bucket.append(generator.new_id("notif"))

    threads = [threading.Thread(target=work, args=(bucket,)) for bucket in per_thread]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    everything = [i for bucket in per_thread for i in bucket]
    assert len(everything) == 8_000
    assert len(set(everything)) == len(everything)
    for bucket in per_thread:
        assert sorted(bucket) == bucket


def test_interleaved_threads_share_one_order() -> None:
    # The test's own lock records the global creation order across threads.
    generator = UlidGenerator()
    order: list[str] = []
    record = threading.Lock()
    start = threading.Barrier(4)

    def work() -> None:
        start.wait()
        for _ in range(1_000):
            with record:
                order.append(generator.new_id("audit"))

    threads = [threading.Thread(target=work) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert len(order) == 4_000
    assert sorted(order) == order
    assert len(set(order)) == len(order)
