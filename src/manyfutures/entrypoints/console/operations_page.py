"""The operations page, an organization's (admin) or every organization's (operator):
one template, and the panels alone when htmx polls for them."""

from __future__ import annotations

from flask import render_template, url_for

from manyfutures.core.operations.model import OperationsView, format_age
from manyfutures.entrypoints.console.redirects import is_htmx


def operations_page(view: OperationsView, *, across: bool, title: str, endpoint: str) -> str:
    template = "console/_operations_panels.html" if is_htmx() else "console/operations.html"
    return render_template(
        template,
        view=view,
        age=lambda t: format_age(view.age(t)),
        across=across,
        title=title,
        refresh_url=url_for(endpoint),
    )
