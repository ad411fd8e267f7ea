"""Sending the browser elsewhere, including from an htmx fragment request.

An htmx request follows a plain redirect inside its XMLHttpRequest and would swap the
sign-in page into a fragment; ``HX-Redirect`` makes htmx load the whole page instead.
"""

from __future__ import annotations

from flask import flash, redirect, request, url_for
from werkzeug.wrappers import Response

SIGN_IN_ENDPOINT = "console.sign_in.sign_in"


def is_htmx() -> bool:
    """This request is htmx's (a fragment to swap in), not the browser's own."""
    return request.headers.get("HX-Request") == "true"


def go_to(location: str) -> Response:
    if is_htmx():
        response = Response(status=204)
        response.headers["HX-Redirect"] = location
        return response
    return redirect(location, 303)


def to_sign_in(message: str | None = None) -> Response:
    if message:
        flash(message, "warning")
    next_path = request.full_path if request.method == "GET" else None
    return go_to(url_for(SIGN_IN_ENDPOINT, next=_local(next_path)))


def local_path(candidate: str | None, default: str = "/") -> str:
    """Only a path on this site: ``//evil.example`` and ``/\\evil.example`` are hosts."""
    return _local(candidate) or default


def _local(candidate: str | None) -> str | None:
    if not candidate or not candidate.startswith("/") or candidate.startswith(("//", "/\\")):
        return None
    return candidate.removesuffix("?")
