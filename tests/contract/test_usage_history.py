"""The daily aggregate over a range of UTC dates: what ``GET /v1/usage`` reads."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

from tests.contract.conftest import Storage
from tests.contract.test_unit_of_work import seed
from tests.support import builders as b
from tests.support.builders import T0

DAY = timedelta(days=1)


def test_a_range_is_the_days_with_usage_inside_it_oldest_first(storage: Storage) -> None:
    seed(storage, "org_a", "org_b")
    with storage.uow("org_a") as uow:
        for n, offset in enumerate((-1, 0, 2, 3, 5)):  # a day before, and one after, the range
            uow.token_usage.add(b.usage(f"usage_{n}", at=T0 + offset * DAY, cost=f"0.{n + 1}0"))
        uow.token_usage.add(b.usage("usage_late", at=T0 + 2 * DAY + timedelta(hours=3)))
        uow.commit()
    with storage.uow("org_b") as uow:
        uow.token_usage.add(b.usage("usage_b", org="org_b", at=T0 + DAY))
        uow.commit()
    with storage.uow("org_a") as uow:
        days = uow.token_usage.daily_range(T0.date(), T0.date() + 3 * DAY)
    assert [(d.date, d.total_cost_gbp) for d in days] == [
        (T0.date(), Decimal("0.20")),
        (T0.date() + 2 * DAY, Decimal("0.40")),  # 0.30 and the later 0.10
        (T0.date() + 3 * DAY, Decimal("0.40")),
    ]
    assert days[1].total_tokens == 300


def test_a_range_of_one_day_or_none_and_own_writes(storage: Storage) -> None:
    seed(storage)
    with storage.uow("org_a") as uow:
        assert uow.token_usage.daily_range(T0.date(), T0.date()) == []
        uow.token_usage.add(b.usage("usage_1"))
        [today] = uow.token_usage.daily_range(T0.date(), T0.date())
        assert today.total_cost_gbp == Decimal("0.10")
        assert uow.token_usage.daily_range(T0.date() + DAY, T0.date() + 2 * DAY) == []
