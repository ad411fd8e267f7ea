"""Reads a migration's upgrade() and finds what would break the release before it.

API, workers and scheduler are deployed separately, so while a migration runs and
after, the previous release's code still reads and writes the schema. A migration
therefore *expands* (adds tables, nullable columns, functions, indexes) and only a
*contract step* (a migration whose module sets ``contract_step = "<why it is safe
now>"``) may drop or rename a table, a column, a view, a type or a function, or
change a column's type, once no running release uses it (README, "Migrations that
keep the previous release running").

What counts, in upgrade() and every module-level function it calls (downgrade()
undoes an expansion and may drop anything):

* Alembic operations: ``op.drop_table``, ``op.drop_column``, ``op.rename_table``,
  ``op.alter_column(..., new_column_name=...)`` and ``op.alter_column(..., type_=...)``;
* SQL in any string there (literals, f-strings, module-level constants they name):
  ``DROP TABLE|COLUMN|VIEW|MATERIALIZED VIEW|TYPE|SEQUENCE|SCHEMA``, ``ALTER TABLE t
  DROP x``, ``RENAME``, ``ALTER COLUMN c [SET DATA] TYPE``, and ``DROP FUNCTION f``
  unless the same upgrade creates ``f`` again (a replacement keeps its callers working).

Dropping an index, a constraint, a policy or a trigger is not a contract step: the
previous release's statements run unchanged without them.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

MARKER = "contract_step"
_ALEMBIC_DROPS = {"drop_table": "drop", "drop_column": "drop", "rename_table": "rename"}
_SQL_RULES = (
    (
        "drop",
        re.compile(
            r"\bDROP\s+(TABLE|COLUMN|VIEW|MATERIALIZED\s+VIEW|TYPE|SEQUENCE|SCHEMA)\b", re.I
        ),
    ),
    (
        "drop",
        re.compile(
            r"\bALTER\s+TABLE\s[^;]*?\bDROP\s+"
            r"(?!CONSTRAINT\b|DEFAULT\b|NOT\s+NULL\b|IDENTITY\b|EXPRESSION\b|COLUMN\b)",
            re.I | re.S,
        ),
    ),
    ("rename", re.compile(r"\bRENAME\b", re.I)),
    ("type change", re.compile(r"\bALTER\s+COLUMN\s+\S+\s+(SET\s+DATA\s+)?TYPE\b", re.I)),
)
_DROP_FUNCTION = re.compile(r"\bDROP\s+FUNCTION\s+(?:IF\s+EXISTS\s+)?\"?(\w+)", re.I)
_CREATE_FUNCTION = re.compile(r"\bCREATE\s+(?:OR\s+REPLACE\s+)?FUNCTION\s+\"?(\w+)", re.I)


@dataclass(frozen=True, slots=True)
class Finding:
    line: int
    kind: str  # "drop", "rename" or "type change"
    what: str

    def __str__(self) -> str:
        return f"line {self.line}: {self.kind}: {self.what}"


def _functions(tree: ast.Module) -> dict[str, ast.FunctionDef]:
    return {node.name: node for node in tree.body if isinstance(node, ast.FunctionDef)}


def _constants(tree: ast.Module) -> dict[str, str]:
    """Module-level ``NAME = "..."`` strings (implicit concatenation included)."""
    found = {}
    for node in tree.body:
        if isinstance(node, ast.Assign | ast.AnnAssign) and node.value is not None:
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            text = _text(node.value)
            for target in targets:
                if isinstance(target, ast.Name) and text is not None:
                    found[target.id] = text
    return found


def _text(node: ast.AST) -> str | None:
    """A string literal's text; an f-string's, each replacement field read as ``X``."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    if isinstance(node, ast.JoinedStr):
        return "".join(
            part.value if isinstance(part, ast.Constant) else "X" for part in node.values
        )
    return None


def _reachable(tree: ast.Module, start: str) -> list[ast.FunctionDef]:
    """``start`` and every module-level function it calls, directly or not."""
    functions = _functions(tree)
    seen: dict[str, ast.FunctionDef] = {}
    pending = [start]
    while pending:
        name = pending.pop()
        if name in seen or name not in functions:
            continue
        seen[name] = functions[name]
        pending.extend(
            node.func.id
            for node in ast.walk(functions[name])
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Name)
        )
    return list(seen.values())


def _body_nodes(function: ast.FunctionDef) -> Iterator[ast.AST]:
    """Every node of the function but its docstring."""
    body = function.body
    if body and isinstance(body[0], ast.Expr) and _text(body[0].value) is not None:
        body = body[1:]
    for statement in body:
        yield from ast.walk(statement)


def findings(source: str) -> list[Finding]:
    """What upgrade() does that only a contract step may do."""
    tree = ast.parse(source)
    constants = _constants(tree)
    found: list[Finding] = []
    strings: list[tuple[int, str]] = []
    for function in _reachable(tree, "upgrade"):
        nodes = list(_body_nodes(function))
        # An f-string's literal parts are read with it, not again on their own.
        parts = {
            id(part) for node in nodes if isinstance(node, ast.JoinedStr) for part in node.values
        }
        for node in nodes:
            if id(node) in parts:
                continue
            if isinstance(node, ast.Call):
                found.extend(_alembic_operation(node))
            text = _text(node)
            if text is not None:
                strings.append((getattr(node, "lineno", 0), text))
            elif isinstance(node, ast.Name) and node.id in constants:
                strings.append((node.lineno, constants[node.id]))
    created = {name for _, text in strings for name in _CREATE_FUNCTION.findall(text)}
    for line, text in strings:
        for kind, pattern in _SQL_RULES:
            found.extend(Finding(line, kind, _excerpt(text, m)) for m in pattern.finditer(text))
        found.extend(
            Finding(line, "drop", _excerpt(text, m))
            for m in _DROP_FUNCTION.finditer(text)
            if m.group(1) not in created
        )
    return sorted(set(found), key=lambda finding: (finding.line, finding.kind, finding.what))


def _alembic_operation(call: ast.Call) -> list[Finding]:
    func = call.func
    if not (
        isinstance(func, ast.Attribute)
        and isinstance(func.value, ast.Name)
        and func.value.id == "op"
    ):
        return []
    described = f"op.{func.attr}({', '.join(ast.unparse(arg) for arg in call.args)})"
    if func.attr in _ALEMBIC_DROPS:
        return [Finding(call.lineno, _ALEMBIC_DROPS[func.attr], described)]
    if func.attr == "alter_column":
        keywords = {keyword.arg for keyword in call.keywords}
        return [
            Finding(call.lineno, kind, f"{described} with {keyword}=")
            for keyword, kind in (("new_column_name", "rename"), ("type_", "type change"))
            if keyword in keywords
        ]
    return []


def _excerpt(text: str, match: re.Match[str]) -> str:
    line = " ".join(text[match.start() : match.start() + 60].split())
    return f"SQL {line!r}"


def contract_reason(source: str) -> str | None:
    """The module's ``contract_step`` reason, if it is marked as a contract step."""
    for node in ast.parse(source).body:
        if (
            isinstance(node, ast.Assign | ast.AnnAssign)
            and any(
                isinstance(target, ast.Name) and target.id == MARKER
                for target in (node.targets if isinstance(node, ast.Assign) else [node.target])
            )
            and node.value is not None
        ):
            reason = _text(node.value)
            return reason.strip() if reason else None
    return None


def problems(path: Path) -> list[str]:
    """Why this migration may not ship as it is; empty when it keeps the rule."""
    source = path.read_text(encoding="utf-8")
    found = findings(source)
    reason = contract_reason(source)
    if found and not reason:
        return [
            f"{path.name}: {finding} — only a contract step may do this: set "
            f'{MARKER} = "<which release stopped using it>" (README, expand/contract)'
            for finding in found
        ]
    if reason and not found:
        return [f"{path.name}: marked as a contract step but drops, renames or retypes nothing"]
    return []
