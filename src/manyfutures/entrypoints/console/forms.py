"""HTML forms checked by the API's own rules: the same marshmallow schema a JSON body
passes, then the use case's own validation, with every message put beside its field.

A form is turned into the JSON body the API would receive (``project_body``), so a
page can never accept what the API refuses, nor word the refusal differently.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from marshmallow import Schema
from marshmallow import ValidationError as SchemaValidationError
from werkzeug.datastructures import MultiDict

from manyfutures.core.projects.cadence import CadenceMode
from manyfutures.core.shared.errors import ValidationError
from manyfutures.entrypoints.http.schemas import instance

FieldErrors = dict[str, list[str]]
# The whole form's messages, shown above it.
FORM = "form"
# The API's field paths (data keys and the core's names) → the form's input names.
_INPUT_NAMES = {
    "cadence": "cadence_mode",
    "cadence.mode": "cadence_mode",
    "mode": "cadence_mode",
    "cadence.days": "days",
    "deliveryTime": "delivery_time",
    "_schema": FORM,
}
_MODES_WITH_DAYS = (CadenceMode.WEEKLY.value, CadenceMode.CUSTOM.value)


class FormInvalidError(Exception):
    def __init__(self, errors: FieldErrors) -> None:
        super().__init__("the form is not valid")
        self.errors = errors


def load(schema: type[Schema], body: Mapping[str, Any]) -> dict[str, Any]:
    try:
        loaded: dict[str, Any] = instance(schema).load(body)
    except SchemaValidationError as error:
        raise FormInvalidError(_flatten(error.messages)) from None
    return loaded


def form_errors(error: FormInvalidError | ValidationError) -> FieldErrors:
    """A refused form's errors by input: the form's own (``load``) or the use case's."""
    if isinstance(error, FormInvalidError):
        return error.errors
    return domain_errors(error)


def domain_errors(error: ValidationError) -> FieldErrors:
    errors: FieldErrors = {}
    for path, messages in error.field_errors.items():
        errors.setdefault(_input_name(path), []).extend(messages)
    return errors or {FORM: [error.message]}


def project_body(form: MultiDict[str, str]) -> dict[str, Any]:
    """The JSON body of POST/PATCH /v1/projects a project form stands for. Empty inputs
    are left out, as a client would leave the keys out (the API's defaults apply)."""
    body: dict[str, Any] = {}
    for name, key in (
        ("title", "title"),
        ("brief", "brief"),
        ("delivery_time", "deliveryTime"),
        ("timezone", "timezone"),
    ):
        value = form.get(name)
        if value is not None and (value.strip() or name in ("title", "brief")):
            body[key] = value.strip() if name != "brief" else value
    mode = form.get("cadence_mode")
    if mode:
        cadence: dict[str, Any] = {"mode": mode}
        # Daily and weekdays have their days fixed; ticked boxes left from another mode
        # must not make such a form invalid.
        if mode in _MODES_WITH_DAYS:
            cadence["days"] = [int(d) if d.isdigit() else d for d in form.getlist("days")]
        body["cadence"] = cadence
    return body


def _flatten(messages: Any, path: str = "") -> FieldErrors:
    errors: FieldErrors = {}
    if isinstance(messages, dict):
        for key, value in messages.items():
            # A list's item index (cadence.days.3) belongs to the list's field.
            child = path if isinstance(key, int) else f"{path}.{key}" if path else str(key)
            for name, found in _flatten(value, child).items():
                errors.setdefault(name, []).extend(found)
        return errors
    if isinstance(messages, list):
        texts = [str(m) for m in messages if not isinstance(m, dict | list)]
        if texts:
            errors[_input_name(path)] = texts
        for nested in (m for m in messages if isinstance(m, dict | list)):
            for name, found in _flatten(nested, path).items():
                errors.setdefault(name, []).extend(found)
    return errors


def _input_name(path: str) -> str:
    return _INPUT_NAMES.get(path, path or FORM)
