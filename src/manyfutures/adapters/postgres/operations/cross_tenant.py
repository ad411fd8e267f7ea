"""ADR 0007's table of cross-tenant functions, read from the ADR itself.

The ADR is the one list: a migration that adds a ``SECURITY DEFINER`` function adds
its row there in the same commit. ``db lint`` and tests/integration/postgres/
test_roles.py both read it through this module, so there is no second copy to keep
in step. A row is ``| `name(arguments)` | migration | run by | why |``; the functions
named after the table under "Not in the list" are ``SECURITY DEFINER`` without
crossing organizations, and are allowed too.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

ADR = "0007-cross-tenant-functions.md"
SOURCE_ADR = Path(__file__).resolve().parents[5] / "docs" / "adr" / ADR
"""Where the ADR is in a source checkout (the package is installed editable from one)."""

_ROW = re.compile(r"^\| `([a-z_][a-z0-9_]*)\(", re.MULTILINE)
_NAMED = re.compile(r"`([a-z_][a-z0-9_]*)\(")
_NOT_LISTED = "Not in the list"
RUNNERS = frozenset({"app role", "owner"})


class AdrFormatError(ValueError):
    """The ADR's table is not in the shape this module reads."""


@dataclass(frozen=True, slots=True)
class ListedFunctions:
    crossing: Mapping[str, str]
    """Each cross-tenant function's name and who runs it: "app role" or "owner"."""
    not_crossing: frozenset[str]
    """SECURITY DEFINER functions the ADR names as not crossing organizations."""

    @property
    def allowed(self) -> frozenset[str]:
        return frozenset(self.crossing) | self.not_crossing


def read_listed(path: Path = SOURCE_ADR) -> ListedFunctions:
    return parse_listed(path.read_text(encoding="utf-8"))


def parse_listed(adr: str) -> ListedFunctions:
    crossing: dict[str, str] = {}
    for line in adr.splitlines():
        match = _ROW.match(line)
        if match is None:
            continue
        cells = [cell.strip() for cell in line.strip().strip("|").split("|")]
        if len(cells) < 4 or cells[2] not in RUNNERS:
            raise AdrFormatError(
                f"ADR 0007 row for {match.group(1)}: the third cell must be one of "
                f"{sorted(RUNNERS)}, got {cells[2:3]}"
            )
        crossing[match.group(1)] = cells[2]
    if not crossing:
        raise AdrFormatError("ADR 0007 lists no function: is this the cross-tenant ADR?")
    _, _, after = adr.partition(_NOT_LISTED)
    paragraph = after.split("\n## ", 1)[0]
    return ListedFunctions(crossing, frozenset(_NAMED.findall(paragraph)))
