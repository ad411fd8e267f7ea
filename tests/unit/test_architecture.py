"""The hexagon's walls: the domain core depends on the standard library only and
never reads a clock itself (time arrives through the ``Clock`` port)."""

from __future__ import annotations

import ast
import os
import re
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
CORE = ROOT / "src" / "manyfutures" / "core"
CORE_PACKAGE = "manyfutures.core"
# Reading the wall clock (or a monotonic one) inside the core makes rules untestable.
FORBIDDEN_CALLS = frozenset(
    {
        "datetime.datetime.now",
        "datetime.datetime.utcnow",
        "datetime.datetime.today",
        "datetime.date.today",
        "time.time",
        "time.time_ns",
        "time.monotonic",
        "time.localtime",
        "time.gmtime",
    }
)


@dataclass(frozen=True)
class Finding:
    module: str
    line: int
    problem: str


def module_name(path: Path) -> str:
    relative = path.relative_to(ROOT / "src").with_suffix("")
    parts = list(relative.parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def allowed_import(name: str) -> bool:
    top = name.split(".")[0]
    return (
        name == CORE_PACKAGE
        or name.startswith(CORE_PACKAGE + ".")
        or top == "__future__"
        or top in sys.stdlib_module_names
    )


def resolve_relative(module: str, is_package: bool, level: int, target: str | None) -> str:
    package = module.split(".") if is_package else module.split(".")[:-1]
    base = package[: len(package) - (level - 1)] if level > 1 else package
    return ".".join([*base, target] if target else base)


def scan(source: str, module: str, is_package: bool = False) -> list[Finding]:
    """Every non-core, non-stdlib import and every clock read in one module's source."""
    tree = ast.parse(source)
    findings: list[Finding] = []
    aliases: dict[str, str] = {}  # local name -> fully qualified name

    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                if not allowed_import(alias.name):
                    findings.append(Finding(module, node.lineno, f"imports {alias.name}"))
                if alias.asname:
                    aliases[alias.asname] = alias.name
                else:
                    top = alias.name.split(".")[0]
                    aliases[top] = top
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                source_module = resolve_relative(module, is_package, node.level, node.module)
            else:
                source_module = node.module or ""
            if not allowed_import(source_module):
                findings.append(Finding(module, node.lineno, f"imports {source_module}"))
            for alias in node.names:
                aliases[alias.asname or alias.name] = f"{source_module}.{alias.name}"

    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute | ast.Name):
            qualified = qualify(node, aliases)
            if qualified in FORBIDDEN_CALLS:
                findings.append(Finding(module, node.lineno, f"reads the clock: {qualified}"))
    return findings


def qualify(node: ast.expr, aliases: dict[str, str]) -> str | None:
    """``dt.now`` -> ``datetime.datetime.now`` when ``dt`` was imported as that class."""
    attributes: list[str] = []
    while isinstance(node, ast.Attribute):
        attributes.append(node.attr)
        node = node.value
    if not isinstance(node, ast.Name) or node.id not in aliases:
        return None
    return ".".join([aliases[node.id], *reversed(attributes)])


def core_modules() -> list[Path]:
    return sorted(CORE.rglob("*.py"))


# ----------------------------------------------------------------------- the real checks


def test_the_scan_sees_the_whole_core() -> None:
    names = {module_name(path) for path in core_modules()}
    assert len(names) >= 20
    assert {
        "manyfutures.core.projects.cadence",
        "manyfutures.core.episodes.episode",
        "manyfutures.core.storage",
    } <= names


def test_core_imports_only_itself_and_the_standard_library_and_reads_no_clock() -> None:
    findings = [
        finding
        for path in core_modules()
        for finding in scan(
            path.read_text(encoding="utf-8"), module_name(path), path.name == "__init__.py"
        )
    ]
    assert findings == []


def test_import_linter_contracts_hold() -> None:
    lint_imports = Path(sys.executable).with_name("lint-imports")
    if not lint_imports.exists():
        pytest.fail(f"import-linter is not installed next to {sys.executable}")
    result = subprocess.run(
        [str(lint_imports), "--no-cache", "--no-logo"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    summary = re.search(r"Contracts: (\d+) kept, (\d+) broken", result.stdout)
    assert summary is not None, result.stdout
    kept, broken = int(summary[1]), int(summary[2])
    # Every pyproject contract ran: core -> stdlib only; adapters -/-> entrypoints; layers.
    assert kept >= 3
    assert broken == 0
    assert "The domain core imports only the standard library KEPT" in result.stdout
    assert "Core capabilities depend one way KEPT" in result.stdout


def _lint_a_copy_with(tmp_path: Path, module: str, line: str) -> subprocess.CompletedProcess[str]:
    """Run the project's own contracts over a copy of the package with one import added."""
    shutil.copytree(ROOT / "src" / "manyfutures", tmp_path / "src" / "manyfutures")
    shutil.copy(ROOT / "pyproject.toml", tmp_path / "pyproject.toml")
    target = tmp_path / "src" / Path(*module.split(".")).with_suffix(".py")
    target.write_text(target.read_text(encoding="utf-8") + "\n" + line + "\n", encoding="utf-8")
    return subprocess.run(
        [str(Path(sys.executable).with_name("lint-imports")), "--no-cache", "--no-logo"],
        cwd=tmp_path,
        env={**os.environ, "PYTHONPATH": str(tmp_path / "src")},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


@pytest.mark.parametrize(
    ("module", "line"),
    [
        # upward: scheduling sits below projects
        ("manyfutures.core.scheduling.queue", "import manyfutures.core.projects.model"),
        # sideways: identity and costs are independent siblings
        ("manyfutures.core.costs.model", "import manyfutures.core.identity.model"),
        # the outbox stands on shared alone, beside activity
        ("manyfutures.core.outbox.model", "import manyfutures.core.activity.model"),
    ],
)
def test_the_layers_contract_breaks_on_an_import_against_the_order(
    tmp_path: Path, module: str, line: str
) -> None:
    result = _lint_a_copy_with(tmp_path, module, line)
    assert result.returncode != 0
    assert "Core capabilities depend one way BROKEN" in result.stdout, result.stdout


# ------------------------------------------------------------- the scanner can fail


@pytest.mark.parametrize(
    ("source", "problem"),
    [
        ("import flask\n", "imports flask"),
        ("from sqlalchemy import select\n", "imports sqlalchemy"),
        ("import sqlalchemy.orm as orm\n", "imports sqlalchemy.orm"),
        ("from manyfutures.adapters import ids\n", "imports manyfutures.adapters"),
        ("from manyfutures.entrypoints.http import app\n", "imports manyfutures.entrypoints.http"),
        ("import manyfutures.container\n", "imports manyfutures.container"),
        ("from ...adapters import ids\n", "imports manyfutures.adapters"),
        ("from datetime import datetime\nx = datetime.now()\n", "datetime.datetime.now"),
        ("import datetime\nx = datetime.datetime.utcnow()\n", "datetime.datetime.utcnow"),
        ("from datetime import datetime as dt\nf = dt.now\n", "datetime.datetime.now"),
        ("from datetime import date\nx = date.today()\n", "datetime.date.today"),
        ("import datetime as d\nx = d.date.today()\n", "datetime.date.today"),
        ("import time\nx = time.time()\n", "time.time"),
        ("from time import time\nx = time()\n", "time.time"),
        ("from time import time_ns as ns\nx = ns()\n", "time.time_ns"),
    ],
)
def test_the_scanner_flags_forbidden_code(source: str, problem: str) -> None:
    findings = scan(source, "manyfutures.core.scheduling.example")
    assert any(problem in finding.problem for finding in findings), findings


@pytest.mark.parametrize(
    "source",
    [
        "from __future__ import annotations\n",
        "import json\nimport re\nfrom zoneinfo import ZoneInfo\n",
        "from datetime import UTC, datetime, timedelta\nx = datetime(2026, 1, 1, tzinfo=UTC)\n",
        "from manyfutures.core.shared.errors import ValidationError\n",
        "from ..shared import errors\n",
        "def f(clock):\n    return clock.now()\n",
        "from datetime import datetime\nx = datetime.fromisoformat('2026-01-01')\n",
    ],
)
def test_the_scanner_accepts_allowed_code(source: str) -> None:
    assert scan(source, "manyfutures.core.scheduling.example") == []
