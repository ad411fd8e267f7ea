"""The price table: what a model call costs from its tokens, when no cost was reported."""

from __future__ import annotations

import json
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from manyfutures.core.costs.prices import (
    DEFAULT_MODEL_PRICES_GBP,
    MAX_TOKENS,
    ModelPrice,
    PriceTable,
)
from manyfutures.core.shared.errors import ValidationError

rates = st.decimals(min_value=0, max_value=1_000, places=4, allow_nan=False)
prices = st.builds(ModelPrice, rates, rates)
models = st.text(st.characters(codec="ascii", categories=["L", "N"]), min_size=1, max_size=12)
tables = st.dictionaries(models, prices, min_size=1, max_size=6).map(PriceTable)
tokens = st.integers(0, MAX_TOKENS)


@settings(max_examples=300)
@given(tables, models, tokens, tokens)
def test_a_cost_is_never_negative(table: PriceTable, model: str, prompt: int, done: int) -> None:
    assert table.price(model, prompt, done).cost_gbp >= 0


@settings(max_examples=300)
@given(tables, models, tokens, tokens, st.integers(0, 10**6), st.integers(0, 10**6))
def test_more_tokens_never_cost_less(
    table: PriceTable, model: str, prompt: int, done: int, more_prompt: int, more_done: int
) -> None:
    before = table.price(model, prompt, done).cost_gbp
    after = table.price(
        model, min(prompt + more_prompt, MAX_TOKENS), min(done + more_done, MAX_TOKENS)
    ).cost_gbp
    assert after >= before


@settings(max_examples=300)
@given(tables, models, tokens, tokens)
def test_an_unknown_model_costs_at_least_any_known_one(
    table: PriceTable, model: str, prompt: int, done: int
) -> None:
    unknown = f"unknown-{model}"
    priced = table.price(unknown, prompt, done)
    assert not priced.known_model
    for known in table.models:
        assert priced.cost_gbp >= table.price(known, prompt, done).cost_gbp


@given(prices, tokens, tokens)
def test_a_cost_is_the_rates_per_million_rounded_up_to_ten_places(
    price: ModelPrice, prompt: int, done: int
) -> None:
    exact = (prompt * price.prompt + done * price.completion) / Decimal(1_000_000)
    cost = price.cost(prompt, done)
    assert exact <= cost < exact + Decimal("1e-10")


def test_the_defaults_are_the_workflows_prices() -> None:
    table = PriceTable.from_json(DEFAULT_MODEL_PRICES_GBP)
    assert table.models == {"gpt-4o", "gpt-4o-mini"}
    assert table.price("gpt-4o", 1_000_000, 1_000_000).cost_gbp == Decimal("10")
    assert table.price("gpt-4o-mini", 1_000_000, 1_000_000).cost_gbp == Decimal("0.60")
    assert table.most_expensive == ModelPrice(Decimal("2.00"), Decimal("8.00"))


def test_numbers_are_read_as_decimals_never_floats() -> None:
    table = PriceTable.from_json('{"m": {"prompt": 0.1, "completion": 3}}')
    assert table.price("m", 10_000_000, 0).cost_gbp == Decimal("1")  # 0.1 exactly, times 10


def test_the_dearest_rates_are_taken_one_by_one() -> None:
    table = PriceTable.from_json(
        json.dumps(
            {
                "reader": {"prompt": "5", "completion": "1"},
                "writer": {"prompt": "1", "completion": "9"},
            }
        )
    )
    assert table.most_expensive == ModelPrice(Decimal("5"), Decimal("9"))


@pytest.mark.parametrize(
    "text",
    [
        "not json",
        "[]",
        "{}",
        '{"m": {"prompt": "1"}}',
        '{"m": {"prompt": "1", "completion": "2", "cached": "0"}}',
        '{"m": {"prompt": "-1", "completion": "2"}}',
        '{"m": {"prompt": "NaN", "completion": "2"}}',
        '{"m": {"prompt": "lots", "completion": "2"}}',
        '{"m": {"prompt": true, "completion": "2"}}',
        '{"m": {"prompt": "100001", "completion": "2"}}',
        '{"m": "2.00"}',
    ],
)
def test_a_malformed_table_is_refused(text: str) -> None:
    with pytest.raises(ValidationError):
        PriceTable.from_json(text)


@pytest.mark.parametrize(("prompt", "done"), [(-1, 0), (0, MAX_TOKENS + 1), (True, 0), (1.5, 0)])
def test_token_counts_out_of_range_are_refused(prompt: object, done: object) -> None:
    with pytest.raises(ValidationError):
        ModelPrice(Decimal(1), Decimal(1)).cost(prompt, done)  # type: ignore[arg-type]
