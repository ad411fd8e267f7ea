"""``manyfutures db tables``: every table's rows and size, across organizations.

Row-level security is forced, so it binds the owner too: the counts come from the
operators' function ``operations_table_rows`` (ADR 0007), never from switching
row-level security off. Each table is counted exactly up to ``exact_below`` rows (the
function reads at most one more); above that the planner's estimate stands in,
marked as such. An empty table is a feature nobody uses yet.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import Connection, text

DEFAULT_EXACT_BELOW = 100_000

_TABLE_ROWS = text(
    "SELECT table_name, readable, exact_rows, estimated_rows, total_bytes "
    "FROM operations_table_rows(:exact_below)"
)


@dataclass(frozen=True, slots=True)
class TableRows:
    name: str
    readable: bool
    """False when the operators' functions may not read it (``db lint`` says why)."""
    rows: int | None
    """Exact when ``exact``; otherwise the planner's estimate, None if never analysed."""
    exact: bool
    total_bytes: int

    @property
    def empty(self) -> bool:
        return self.exact and self.rows == 0


def table_rows(
    connection: Connection, exact_below: int = DEFAULT_EXACT_BELOW
) -> Sequence[TableRows]:
    """Every table of the schema, by name."""
    return [
        TableRows(
            name,
            readable,
            exact if exact is not None else estimated,
            exact is not None,
            total_bytes,
        )
        for name, readable, exact, estimated, total_bytes in connection.execute(
            _TABLE_ROWS, {"exact_below": exact_below}
        )
    ]
