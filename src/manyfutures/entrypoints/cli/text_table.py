"""Aligned plain-text tables for the operators' commands: what a terminal, a log or a
ticket shows the same way."""

from __future__ import annotations

from collections.abc import Sequence

WIDEST = 40


def cell(value: str, widest: int = WIDEST) -> str:
    """One line, at most ``widest`` characters: a longer value ends with an ellipsis."""
    line = value.replace("\r", "").replace("\n", "⏎")
    return line if len(line) <= widest else line[: widest - 1] + "…"


def render(header: Sequence[str], rows: Sequence[Sequence[str]], right: Sequence[int] = ()) -> str:
    """Columns padded to their widest cell; those at the ``right`` indexes right-aligned
    (numbers). Trailing spaces are trimmed."""
    widths = [max(len(row[i]) for row in (header, *rows)) for i in range(len(header))]

    def line(row: Sequence[str]) -> str:
        cells = [
            text.rjust(widths[i]) if i in right else text.ljust(widths[i])
            for i, text in enumerate(row)
        ]
        return "  ".join(cells).rstrip()

    return "\n".join([line(header), *(line(row) for row in rows)])
