"""The per-user rate limit on /v1: a 429 problem with ``Retry-After`` when it is reached."""

from __future__ import annotations

from manyfutures.adapters.rate_limit import RateLimiter
from manyfutures.entrypoints.http.auth import rate_limit_key
from manyfutures.entrypoints.http.problems import ProblemError


def limit_rate(limiter: RateLimiter) -> None:
    refusal = limiter.hit(rate_limit_key())
    if refusal is not None:
        raise ProblemError(
            429,
            "rate-limited",
            "Too many requests",
            f"rate limit of {refusal.limit} exceeded; retry after the Retry-After delay",
            headers={"Retry-After": str(refusal.retry_after_seconds)},
        )
