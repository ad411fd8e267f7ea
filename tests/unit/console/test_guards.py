"""The console's guards and response headers."""

from __future__ import annotations

import pytest
from flask import Flask, g

from manyfutures.core.operations.model import parse_operators
from manyfutures.core.shared.actor import Actor, Role
from manyfutures.core.shared.errors import PermissionDeniedError
from manyfutures.entrypoints.console.guard import ConsoleUser, admin_required, operator_required
from manyfutures.settings import Settings
from tests.support.container import deterministic_container
from tests.unit.console.console_client import ConsoleClient


def _user(role: Role, operator: bool = False) -> ConsoleUser:
    return ConsoleUser(
        actor=Actor("user_a", "org_a", role),
        is_operator=operator,
        user_name=None,
        timezone="UTC",
        organization_name=None,
    )


@admin_required
def _admin_page() -> str:
    return "admin"


@operator_required
def _operator_page() -> str:
    return "operator"


@pytest.mark.parametrize(
    ("user", "admin", "operator"),
    [
        (_user(Role.MEMBER), False, False),
        (_user(Role.ADMIN), True, False),
        (_user(Role.MEMBER, operator=True), False, True),
    ],
    ids=["member", "admin", "operator"],
)
def test_admin_and_operator_pages_let_only_their_audience_in(
    user: ConsoleUser, admin: bool, operator: bool
) -> None:
    with Flask(__name__).test_request_context():
        g.console_user = user
        for page, allowed in ((_admin_page, admin), (_operator_page, operator)):
            if allowed:
                assert page()
            else:
                with pytest.raises(PermissionDeniedError):
                    page()


def test_operators_are_nobody_by_default() -> None:
    assert parse_operators("") == frozenset()
    assert parse_operators(" user_a, ,user_b ") == {"user_a", "user_b"}


def test_pages_forbid_framing_and_foreign_scripts_and_are_never_cached() -> None:
    console = ConsoleClient.build(deterministic_container(Settings()))
    console.sign_in()

    page = console.client.get("/projects")
    asset = console.client.get("/console/static/console/console.css")

    policy = page.headers["Content-Security-Policy"]
    assert "frame-ancestors 'none'" in policy
    assert "script-src 'self';" in policy
    assert page.headers["Cache-Control"] == "no-store"
    assert "no-store" not in asset.headers.get("Cache-Control", "")
    assert page.headers["X-Content-Type-Options"] == "nosniff"
