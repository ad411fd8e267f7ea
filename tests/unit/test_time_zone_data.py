"""Time-zone rules come from the pinned ``tzdata`` package only, never the OS zone files.

zoneinfo reads the directories on its search path (``TZPATH``: the OS files, or
``PYTHONTZPATH``) before the ``tzdata`` package, so two machines could schedule one
project at different instants. Each test here points ``PYTHONTZPATH`` at a decoy
directory whose ``Europe/London`` holds Tokyo's rules (+09:00): a process that
consulted it would deliver London's 09:00 at 00:00 UTC.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from importlib import resources
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
import tzdata

import manyfutures
from manyfutures.core.shared.time import load_timezone

PACKAGED_VERSION = tzdata.IANA_VERSION
CLI = str(Path(sys.executable).with_name("manyfutures"))


def _packaged(zone: str) -> ZoneInfo:
    area, _, place = zone.partition("/")
    with resources.files(f"tzdata.zoneinfo.{area}").joinpath(place).open("rb") as data:
        return ZoneInfo.from_file(data, key=zone)


@pytest.fixture(scope="module")
def decoy_tzpath(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A zone directory where London keeps Tokyo's time."""
    root = tmp_path_factory.mktemp("decoy-zoneinfo")
    (root / "Europe").mkdir()
    with resources.files("tzdata.zoneinfo.Asia").joinpath("Tokyo").open("rb") as tokyo:
        (root / "Europe" / "London").write_bytes(tokyo.read())
    return root


def _python(code: str, decoy: Path) -> str:
    environment = {**os.environ, "PYTHONTZPATH": str(decoy)}
    result = subprocess.run(
        [sys.executable, "-c", code], env=environment, capture_output=True, text=True, check=True
    )
    return result.stdout.strip()


def test_the_decoy_would_be_read_by_a_plain_python(decoy_tzpath: Path) -> None:
    """The control: without our package, zoneinfo does read the search path first."""
    code = (
        "from datetime import datetime; from zoneinfo import ZoneInfo; "
        "print(datetime(2026, 1, 5, 12, tzinfo=ZoneInfo('Europe/London')).utcoffset())"
    )
    assert _python(code, decoy_tzpath) == "9:00:00"


def test_importing_the_package_empties_the_search_path(decoy_tzpath: Path) -> None:
    code = (
        "import zoneinfo; from datetime import datetime; import manyfutures; "
        "from manyfutures.core.shared.time import load_timezone; "
        "print(zoneinfo.TZPATH, "
        "datetime(2026, 1, 5, 12, tzinfo=load_timezone('Europe/London')).utcoffset())"
    )
    assert _python(code, decoy_tzpath) == "() 0:00:00"


def test_zones_made_before_the_import_are_not_reused(decoy_tzpath: Path) -> None:
    """zoneinfo caches zones by name: one built from the decoy must not survive."""
    code = (
        "from datetime import datetime; from zoneinfo import ZoneInfo; "
        "early = ZoneInfo('Europe/London'); import manyfutures; "
        "print(datetime(2026, 1, 5, 12, tzinfo=ZoneInfo('Europe/London')).utcoffset())"
    )
    assert _python(code, decoy_tzpath) == "0:00:00"


def test_zones_resolve_to_the_packaged_rules_where_machines_disagree() -> None:
    """Africa/Casablanca's 2026-2028 transitions are where the OS files (2025b) and the
    package (2026f) of the reference machine differ: ours follow the package, hour by hour."""
    ours, packaged = load_timezone("Africa/Casablanca"), _packaged("Africa/Casablanca")
    instant = datetime(2026, 1, 1, tzinfo=UTC)
    while instant < datetime(2029, 1, 1, tzinfo=UTC):
        assert instant.astimezone(ours).utcoffset() == instant.astimezone(packaged).utcoffset()
        instant += timedelta(hours=6)


def test_the_package_reports_the_version_it_uses() -> None:
    assert manyfutures.TZDATA_VERSION == PACKAGED_VERSION


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _get(url: str, body: dict[str, object] | None = None) -> dict[str, object]:
    headers = {"X-Dev-User": "user_tz", "X-Dev-Org": "org_tz", "Content-Type": "application/json"}
    data = json.dumps(body).encode() if body is not None else None
    with urllib.request.urlopen(
        urllib.request.Request(url, data=data, headers=headers), timeout=5
    ) as response:
        answer: dict[str, object] = json.loads(response.read())
        return answer


@pytest.fixture(params=[["serve", "--workers", "1"], ["run", "--no-demo"]], ids=["serve", "run"])
def started(request: pytest.FixtureRequest, decoy_tzpath: Path) -> Iterator[tuple[str, Path]]:
    """``manyfutures serve`` (a gunicorn worker) or ``run``, with the decoy on its path."""
    port = _free_port()
    log = decoy_tzpath.parent / f"{request.param[0]}-{port}.log"
    environment = {
        **os.environ,
        "PYTHONTZPATH": str(decoy_tzpath),
        "MANYFUTURES_PORT": str(port),
        "MANYFUTURES_TICK_SECONDS": "60",
    }
    with log.open("w") as output:
        process = subprocess.Popen(
            [CLI, *request.param], env=environment, stdout=output, stderr=subprocess.STDOUT
        )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                _get(f"{base}/healthz")
                break
            except OSError:
                if time.monotonic() > deadline or process.poll() is not None:
                    raise AssertionError(log.read_text()) from None
                time.sleep(0.1)
        yield base, log
    finally:
        process.terminate()
        process.wait(20)


def test_a_started_process_uses_the_package_and_says_which(started: tuple[str, Path]) -> None:
    base, log = started
    ready = _get(f"{base}/readyz")
    assert ready["tzdataVersion"] == PACKAGED_VERSION
    project = _get(
        f"{base}/v1/projects",
        {
            "title": "Tides",
            "brief": "Coastal policy",
            "cadence": {"mode": "daily"},
            "deliveryTime": "09:00",
            "timezone": "Europe/London",
        },
    )
    next_slot = datetime.fromisoformat(str(project["nextScheduledAt"]))
    # London's 09:00 is 09:00 or 08:00 UTC; the decoy (Tokyo) would make it 00:00 UTC.
    assert next_slot.astimezone(UTC).hour in (8, 9), project
    assert f"tzdata {PACKAGED_VERSION}" in log.read_text()
