"""Domain errors.

Entrypoints map these to transport responses (problem+json, job outcomes); the
domain never knows about HTTP status codes.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import TypeVar

R = TypeVar("R")


class DomainError(Exception):
    """Base for every error a caller is expected to handle."""


class ValidationError(DomainError):
    """Input that breaks a business rule; carries messages per field."""

    def __init__(self, message: str, field_errors: Mapping[str, list[str]] | None = None):
        super().__init__(message)
        self.message = message
        self.field_errors: dict[str, list[str]] = dict(field_errors or {})

    @classmethod
    def for_field(cls, field: str, message: str) -> ValidationError:
        return cls(message, {field: [message]})


class NotFoundError(DomainError):
    """The resource does not exist *for this organization* (other tenants' rows look absent)."""

    def __init__(self, kind: str, resource_id: str | None = None):
        """Without ``resource_id`` the message names only the kind: for a reference
        whose target the caller should not learn (a database constraint, say)."""
        named = kind if resource_id is None else f"{kind} {resource_id!r}"
        super().__init__(f"{named} was not found")
        self.kind = kind
        self.resource_id = resource_id


class StateConflictError(DomainError):
    """The resource exists but is in a state that forbids the requested action."""


class VersionConflictError(DomainError):
    """Optimistic-lock failure: someone else changed the resource first."""

    def __init__(self, kind: str, resource_id: str, expected: int, actual: int | None):
        super().__init__(
            f"{kind} {resource_id!r} is at version {actual}, not {expected}; reload and retry"
        )
        self.expected = expected
        self.actual = actual


class PermissionDeniedError(DomainError):
    """The caller is known but not allowed to do this."""


class DuplicateError(DomainError):
    """A uniqueness rule rejected a write (e.g. the same schedule slot twice)."""


class FieldErrors:
    """Collects every field error of a request so the caller hears about all of them at once."""

    def __init__(self) -> None:
        self.errors: dict[str, list[str]] = {}

    def check(self, validate: Callable[[], R]) -> R | None:
        try:
            return validate()
        except ValidationError as error:
            for field, messages in error.field_errors.items():
                self.errors.setdefault(field, []).extend(messages)
            return None

    def raise_if_any(self, message: str) -> None:
        if self.errors:
            raise ValidationError(message, self.errors)
