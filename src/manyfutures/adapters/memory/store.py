"""Shared in-memory state standing in for the database in demos and tests.

Rows are stored as private copies; a unit of work stages its writes and applies
them under one lock on commit, checking the same rules Postgres enforces
(optimistic versions, the one-live-item-per-slot rule), so the fake behaves like
the real thing under the contract suite.
"""

from __future__ import annotations

import threading
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from manyfutures.core.costs.model import TokenUsageDaily


@dataclass
class InMemoryStore:
    lock: threading.RLock = field(default_factory=threading.RLock)
    tables: dict[str, dict[str, Any]] = field(default_factory=lambda: defaultdict(dict))
    daily_usage: dict[tuple[str, date], TokenUsageDaily] = field(default_factory=dict)
    # Row locks, by (table, id): Postgres's SELECT … FOR UPDATE, held by a unit of work.
    row_locks: dict[tuple[str, str], threading.Lock] = field(default_factory=dict)
