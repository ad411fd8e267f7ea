"""Console pages answer errors with a page, never problem+json and never a 500 for bad
input: the same domain errors the API maps (entrypoints/http/problems.py), same status.

A form page catches ``ValidationError`` itself to show the messages beside its fields
(forms.py); what reaches here is a page-level error.
"""

from __future__ import annotations

import logging

from flask import Blueprint, render_template
from flask.typing import ResponseReturnValue
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException

from manyfutures.core.identity.ports import AuthenticationError
from manyfutures.core.shared.errors import DomainError
from manyfutures.entrypoints.console.forms import FormInvalidError
from manyfutures.entrypoints.console.redirects import to_sign_in
from manyfutures.entrypoints.http.problems import domain_status

logger = logging.getLogger(__name__)


def error_page(status: int, title: str, detail: str) -> ResponseReturnValue:
    return render_template("console/error.html", title=title, detail=detail), status


def register_error_pages(console: Blueprint) -> None:
    @console.errorhandler(CSRFError)
    def _csrf(error: CSRFError) -> ResponseReturnValue:
        return error_page(
            400,
            "This form has expired",
            "The page was open too long or came from elsewhere (its security token did not "
            "match). Nothing was changed: go back, reload the page and try again.",
        )

    @console.errorhandler(FormInvalidError)
    def _invalid(error: FormInvalidError) -> ResponseReturnValue:
        """A page's query string the API's schema refused (a form page shows its own)."""
        details = "; ".join(f"{name}: {' '.join(m)}" for name, m in error.errors.items())
        return error_page(400, "Bad request", details)

    @console.errorhandler(AuthenticationError)
    def _unauthenticated(error: AuthenticationError) -> ResponseReturnValue:
        return to_sign_in(str(error))

    @console.errorhandler(DomainError)
    def _domain(error: DomainError) -> ResponseReturnValue:
        status, title = domain_status(error)
        if status == 500:
            logger.exception("unhandled domain error", exc_info=error)
            return error_page(status, title, "Something went wrong on our side.")
        return error_page(status, title, str(error))

    @console.errorhandler(HTTPException)
    def _http(error: HTTPException) -> ResponseReturnValue:
        return error_page(error.code or 500, error.name, error.description or "")
