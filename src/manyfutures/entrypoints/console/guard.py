"""Who is using the console, and the guards pages put in front of themselves.

Every console page needs a signed-in user unless its endpoint is listed as public
(``public``): the blueprint's ``before_request`` (``__init__.py``) resumes the
session and stores a ``ConsoleUser`` on ``g``, or sends the browser to sign in.
Pages then read ``current_console_user()`` and call use cases with its ``actor``.
``admin_required`` and ``operator_required`` narrow a page further (403 page).
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass
from typing import ParamSpec, TypeVar

from flask import g

from manyfutures.core.shared.actor import Actor
from manyfutures.core.shared.errors import PermissionDeniedError

P = ParamSpec("P")
R = TypeVar("R")

PUBLIC_MARK = "console_public"
CSRF_EXEMPT_MARK = "console_csrf_exempt"


@dataclass(frozen=True, slots=True)
class ConsoleUser:
    """The signed-in reader as of this request (roles and deletions re-read each time)."""

    actor: Actor
    is_operator: bool
    user_name: str | None
    timezone: str
    organization_name: str | None

    @property
    def user_id(self) -> str:
        return self.actor.user_id

    @property
    def organization_id(self) -> str:
        return self.actor.organization_id

    @property
    def is_admin(self) -> bool:
        return self.actor.is_admin


def current_console_user() -> ConsoleUser:
    user: ConsoleUser = g.console_user
    return user


def signed_in_user() -> ConsoleUser | None:
    """For templates and public pages: the user if this request has one."""
    user: ConsoleUser | None = g.get("console_user")
    return user


def public(view: Callable[P, R]) -> Callable[P, R]:
    """Mark a view reachable without a session (signing in). Put it right under the
    route decorator."""
    setattr(view, PUBLIC_MARK, True)
    return view


def is_public(view: Callable[..., object]) -> bool:
    return bool(getattr(view, PUBLIC_MARK, False))


def csrf_exempt(view: Callable[P, R]) -> Callable[P, R]:
    """Mark a POST view that carries no CSRF token and must prove its origin otherwise
    (the Clerk hand-over: sign_in.py). Put it right under the route decorator."""
    setattr(view, CSRF_EXEMPT_MARK, True)
    return view


def is_csrf_exempt(view: Callable[..., object]) -> bool:
    return bool(getattr(view, CSRF_EXEMPT_MARK, False))


def admin_required(view: Callable[P, R]) -> Callable[P, R]:
    @functools.wraps(view)
    def guarded(*args: P.args, **kwargs: P.kwargs) -> R:
        current_console_user().actor.require_admin()
        return view(*args, **kwargs)

    return guarded


def operator_required(view: Callable[P, R]) -> Callable[P, R]:
    @functools.wraps(view)
    def guarded(*args: P.args, **kwargs: P.kwargs) -> R:
        if not current_console_user().is_operator:
            raise PermissionDeniedError("only the service's operators may see this page")
        return view(*args, **kwargs)

    return guarded
