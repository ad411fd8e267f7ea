"""Log lines: JSON objects (or text) carrying the context ids bound where they are known."""

from __future__ import annotations

import io
import json
import logging
import re
from collections.abc import Iterator

import pytest
from flask import Flask
from hypothesis import given
from hypothesis import strategies as st

from manyfutures.core.generation.use_cases import ProgressOutcome, ResultOutcome
from manyfutures.entrypoints.http.app import create_app
from manyfutures.entrypoints.http.n8n_webhooks import VERDICTS
from manyfutures.entrypoints.http.observability import request_id
from manyfutures.entrypoints.logs import configure_logging, log_format
from manyfutures.log_context import log_context
from manyfutures.settings import Settings, SettingsError
from tests.unit.http.conftest import TEST_SETTINGS, build_test_container


@pytest.fixture
def restore_root() -> Iterator[None]:
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    yield
    root.handlers[:] = handlers
    root.setLevel(level)


def captured(settings: Settings, command: str = "serve") -> io.StringIO:
    buffer = io.StringIO()
    configure_logging(settings, command, buffer)
    return buffer


def test_json_lines_carry_level_logger_and_the_bound_ids(restore_root: None) -> None:
    buffer = captured(Settings())
    with log_context(job_id="generation-q-1", organization_id="org_a", run_id=None):
        with log_context(run_id="run_1", episode_id="ep_1"):
            logging.getLogger("manyfutures.test").warning("inside %s", "both")
        logging.getLogger("manyfutures.test").info("outer only")
    logging.getLogger("manyfutures.test").info("outside")
    inner, outer, outside = (json.loads(line) for line in buffer.getvalue().splitlines())
    assert inner == {
        "time": inner["time"],
        "level": "WARNING",
        "logger": "manyfutures.test",
        "message": "inside both",
        "job_id": "generation-q-1",
        "organization_id": "org_a",
        "run_id": "run_1",
        "episode_id": "ep_1",
    }
    assert "run_id" not in outer and outer["organization_id"] == "org_a"
    assert set(outside) == {"time", "level", "logger", "message"}


def test_text_lines_for_make_run_and_when_asked(restore_root: None) -> None:
    assert log_format(Settings(), "run") == "text"
    assert log_format(Settings(), "worker") == "json"
    assert log_format(Settings(log_format="json"), "run") == "json"
    buffer = captured(Settings(log_format="text"))
    with log_context(request_id="req-1"):
        logging.getLogger("manyfutures.test").warning("hello")
    line = buffer.getvalue().strip()
    assert line.endswith("WARNING manyfutures.test: hello [request_id=req-1]")
    with pytest.raises(SettingsError, match="LOG_FORMAT"):
        Settings.from_env({"MANYFUTURES_LOG_FORMAT": "xml"})


def test_a_request_logs_with_its_id_and_the_callers_organization(restore_root: None) -> None:
    container = build_test_container(TEST_SETTINGS)
    try:
        app: Flask = create_app(container)

        @app.before_request
        def _log() -> None:
            logging.getLogger("manyfutures.test").warning("handling")

        buffer = captured(Settings())
        headers = {"X-Request-Id": "req-42", "X-Dev-User": "user_a", "X-Dev-Org": "org_a"}
        response = app.test_client().get("/v1/projects", headers=headers)
        assert response.headers["X-Request-Id"] == "req-42"
        lines = [json.loads(line) for line in buffer.getvalue().splitlines()]
        # Logged after authentication (a hook added last): the organization is known.
        assert {"request_id": "req-42", "organization_id": "org_a"}.items() <= lines[-1].items()
    finally:
        container.unwire()


@given(st.text(max_size=200))
def test_a_request_id_is_kept_only_when_sane_and_is_always_sane(header: str) -> None:
    chosen = request_id(header)
    assert re.fullmatch(r"[A-Za-z0-9._:-]{1,128}", chosen)
    kept = re.fullmatch(r"[A-Za-z0-9._:-]{1,128}", header) is not None
    assert (chosen == header) is kept


def test_every_callback_outcome_counts_as_one_verdict() -> None:
    outcomes = {*ProgressOutcome, *ResultOutcome}
    assert set(VERDICTS) == outcomes
    assert set(VERDICTS.values()) == {"accepted", "duplicate", "stale"}
    assert {o for o, verdict in VERDICTS.items() if verdict == "accepted"} == {
        ProgressOutcome.APPLIED,
        *(o for o in ResultOutcome if o.applied),
    }


def test_without_a_stream_lines_go_to_stderr_as_it_is_when_they_are_written(
    restore_root: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    installed_under = io.StringIO()
    monkeypatch.setattr("sys.stderr", installed_under)
    configure_logging(Settings(), "serve")
    installed_under.close()
    current = io.StringIO()
    monkeypatch.setattr("sys.stderr", current)
    logging.getLogger("manyfutures.test").warning("after the swap")
    assert json.loads(current.getvalue())["message"] == "after the swap"
