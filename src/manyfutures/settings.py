"""Configuration from ``MANYFUTURES_*`` environment variables, validated up front.

A typo in a setting fails at start-up with a message naming the variable, not
as a confusing error on the first request.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass, fields
from typing import Any

PREFIX = "MANYFUTURES_"
CHOICES: dict[str, tuple[str, ...]] = {
    "storage": ("memory",),
    "auth": ("dev",),
    "generator": ("simulated",),
    "email": ("console",),
    "dispatcher": ("threads",),
}


class SettingsError(ValueError):
    pass


@dataclass(frozen=True, slots=True)
class Settings:
    storage: str = "memory"
    auth: str = "dev"
    generator: str = "simulated"
    email: str = "console"
    dispatcher: str = "threads"
    host: str = "127.0.0.1"
    port: int = 8000
    tick_seconds: float = 1.0
    simulated_stage_seconds: float = 1.0
    worker_threads: int = 2

    @classmethod
    def from_env(cls, environ: Mapping[str, str]) -> Settings:
        values: dict[str, Any] = {}
        for spec in fields(cls):
            raw = environ.get(PREFIX + spec.name.upper())
            if raw is None or raw == "":
                continue
            values[spec.name] = _parse(spec.name, raw, getattr(cls, spec.name))
        settings = cls(**values)
        settings.validate()
        return settings

    def validate(self) -> None:
        for name, allowed in CHOICES.items():
            value = getattr(self, name)
            if value not in allowed:
                raise SettingsError(
                    f"{PREFIX}{name.upper()}={value!r} is not one of {', '.join(allowed)}"
                )

    def as_config(self) -> dict[str, Any]:
        return asdict(self)


def _parse(name: str, raw: str, default: object) -> object:
    try:
        if isinstance(default, bool):
            return raw.strip().lower() in {"1", "true", "yes", "on"}
        if isinstance(default, int):
            return int(raw)
        if isinstance(default, float):
            return float(raw)
    except ValueError:
        raise SettingsError(f"{PREFIX}{name.upper()}={raw!r} is not a valid number") from None
    return raw.strip()
