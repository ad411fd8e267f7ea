"""Every event the core records is in the catalogue of server events, and every audit row
it writes names a resource type the audit-log filter accepts.

Read from the source, so a new ``record.event("…")`` or ``record.audit(…, "…", …)`` with a
name nobody listed fails here, not in a client that filters or a metric that counts.
"""

from __future__ import annotations

import ast
import importlib
from collections.abc import Iterator
from pathlib import Path

import pytest

import manyfutures.core
from manyfutures.core.activity.event_types import SERVER_EVENT_TYPES
from manyfutures.core.activity.resource_types import AUDITED_RESOURCE_TYPES

CORE = Path(manyfutures.core.__file__).parent
CLIENT_EVENTS = "activity/use_cases.py"  # TrackEvent records what the client names


def _calls(method: str) -> Iterator[tuple[str, ast.Call]]:
    for path in sorted(CORE.rglob("*.py")):
        relative = path.relative_to(CORE).as_posix()
        for node in ast.walk(ast.parse(path.read_text())):
            if (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Attribute)
                and node.func.attr == method
                and node.args
            ):
                yield relative, node


def _value(module: str, node: ast.expr) -> object:
    """A literal, or a module-level name resolved in its module."""
    if isinstance(node, ast.Constant):
        return node.value
    if isinstance(node, ast.Name):
        name = "manyfutures.core." + module.removesuffix(".py").replace("/", ".")
        return getattr(importlib.import_module(name), node.id, None)
    return None


def test_every_recorded_event_is_in_the_catalogue() -> None:
    recorded = {
        (module, _value(module, call.args[0]))
        for module, call in _calls("event")
        if module != CLIENT_EVENTS
    }
    assert recorded, "no record.event(...) found: the scan is broken"
    assert {(m, name) for m, name in recorded if name not in SERVER_EVENT_TYPES} == set()


def test_every_audited_resource_type_is_filterable() -> None:
    types = {(module, _value(module, call.args[1])) for module, call in _calls("audit")}
    assert types, "no record.audit(...) found: the scan is broken"
    assert {(m, kind) for m, kind in types if kind not in AUDITED_RESOURCE_TYPES} == set()


@pytest.mark.parametrize("name", sorted(SERVER_EVENT_TYPES))
def test_server_event_names_follow_the_client_pattern(name: str) -> None:
    from manyfutures.core.activity.use_cases import EVENT_TYPE_PATTERN

    assert EVENT_TYPE_PATTERN.fullmatch(name)
