"""What a model call costs when the generator reports its tokens but not their price.

Prices are pounds per million tokens, prompt and completion apart, per model name: a
setting (``MANYFUTURES_MODEL_PRICES_GBP``), because they change with the providers'
price lists, not with the code. A model missing from the table is priced at the most
expensive known rates, prompt and completion each: an unknown model must never make a
run look cheaper than it may have been, since the daily limit is counted in these
pounds. The caller logs it, so the table can be completed.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import ROUND_CEILING, Decimal, InvalidOperation

from manyfutures.core.shared.errors import ValidationError

PER_MILLION = Decimal(1_000_000)
# The ledger keeps what callbacks may report: at most ten places. Rounded up, so a cost
# is never under-counted and never breaks the order of the token counts.
COST_QUANTUM = Decimal("1e-10")
MAX_TOKENS = 1_000_000_000  # per call; more is not a real call (and not an int4)
MAX_RATE_GBP = Decimal(100_000)  # per million tokens; more is a typo

DEFAULT_MODEL_PRICES_GBP = json.dumps(
    {
        # The shipped n8n workflow's models, at its own table (PRICES_GBP in *Start run*).
        "gpt-4o": {"prompt": "2.00", "completion": "8.00"},
        "gpt-4o-mini": {"prompt": "0.12", "completion": "0.48"},
    }
)


@dataclass(frozen=True, slots=True)
class ModelPrice:
    """Pounds per million tokens."""

    prompt: Decimal
    completion: Decimal

    def cost(self, prompt_tokens: int, completion_tokens: int) -> Decimal:
        for tokens in (prompt_tokens, completion_tokens):
            if isinstance(tokens, bool) or not isinstance(tokens, int):
                raise ValidationError("token counts are whole numbers")
            if not 0 <= tokens <= MAX_TOKENS:
                raise ValidationError(f"token counts are from 0 to {MAX_TOKENS} a call")
        pounds = (prompt_tokens * self.prompt + completion_tokens * self.completion) / PER_MILLION
        return pounds.quantize(COST_QUANTUM, rounding=ROUND_CEILING)


@dataclass(frozen=True, slots=True)
class Priced:
    cost_gbp: Decimal
    known_model: bool


class PriceTable:
    def __init__(self, prices: Mapping[str, ModelPrice]) -> None:
        if not prices:
            raise ValidationError("the price table names no model")
        for model, price in prices.items():
            for rate in (price.prompt, price.completion):
                if not rate.is_finite() or not 0 <= rate <= MAX_RATE_GBP:
                    raise ValidationError(
                        f"{model}: a price is pounds per million tokens, 0 to {MAX_RATE_GBP}"
                    )
        self._prices = dict(prices)
        # Each rate's maximum on its own: at least any known model's cost, whatever the mix.
        self.most_expensive = ModelPrice(
            max(p.prompt for p in prices.values()), max(p.completion for p in prices.values())
        )

    @property
    def models(self) -> frozenset[str]:
        return frozenset(self._prices)

    def price(self, model: str, prompt_tokens: int, completion_tokens: int) -> Priced:
        known = self._prices.get(model)
        rate = known if known is not None else self.most_expensive
        return Priced(rate.cost(prompt_tokens, completion_tokens), known is not None)

    @classmethod
    def from_json(cls, text: str) -> PriceTable:
        """``{"gpt-4o": {"prompt": "2.00", "completion": "8.00"}, …}``: pounds per million
        tokens, as strings or JSON numbers (read as decimals, never as floats)."""
        try:
            table = json.loads(text, parse_float=Decimal, parse_int=Decimal)
        except ValueError as error:
            raise ValidationError(f"the price table is not JSON: {error}") from None
        if not isinstance(table, dict):
            raise ValidationError(
                'the price table is an object: {"model": {"prompt", "completion"}}'
            )
        return cls({str(model): _model_price(model, price) for model, price in table.items()})


def _model_price(model: str, price: object) -> ModelPrice:
    if not isinstance(price, dict) or set(price) != {"prompt", "completion"}:
        raise ValidationError(f'{model}: give "prompt" and "completion", pounds per million tokens')
    rates = []
    for rate in (price["prompt"], price["completion"]):
        try:
            rates.append(Decimal(rate) if isinstance(rate, str | Decimal) else Decimal("NaN"))
        except InvalidOperation:
            rates.append(Decimal("NaN"))
    return ModelPrice(rates[0], rates[1])
