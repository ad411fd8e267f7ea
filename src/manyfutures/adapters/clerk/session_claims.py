"""The claims of a verified Clerk session token, each checked for its JSON type here.

PyJWT checks the signature, the times and the issuer, not the types of the claims
this service reads: an ``azp`` array once reached the authorized-party check and
crashed it. Clerk signs every token we accept, so a claim of the wrong type means a
misconfigured session template or a change of format, never something to act on:
it is refused (401) with the claim's name, before any of it is used.

``null`` counts as absent, as it does for PyJWT's required claims. Claims this
service does not read (``fva``, ``pla``, ``fea``, custom template claims) are not
checked, so Clerk can add or reshape them without locking anyone out.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from manyfutures.core.identity.ports import AuthenticationError

_STRING = "a string"
_NUMBER = "a number"
_INTEGER = "an integer"
_OBJECT = "an object"

# Every claim read here, and the registered ones PyJWT reads, with the type it must have.
CLAIM_TYPES: Mapping[str, str] = {
    "iss": _STRING,
    "sub": _STRING,
    "azp": _STRING,
    "sid": _STRING,
    "sts": _STRING,
    "jti": _STRING,
    "exp": _NUMBER,
    "iat": _NUMBER,
    "nbf": _NUMBER,
    "v": _INTEGER,
    "o": _OBJECT,
    "org_id": _STRING,
    "org_role": _STRING,
}
ORGANIZATION_CLAIM_TYPES: Mapping[str, str] = {"id": _STRING, "rol": _STRING}

# Clerk ids (user_2Nn…, org_2Nn…) are short printable ASCII. Anything else would
# travel into the database as a key, so it is refused here (NUL, lone surrogates…).
_ID = re.compile(r"[\x21-\x7e]{1,255}\Z")
PENDING = "pending"


@dataclass(frozen=True, slots=True)
class SessionClaims:
    subject: str
    authorized_party: str | None
    pending: bool
    organization_id: str | None
    organization_role: str | None


def _has_type(value: Any, expected: str) -> bool:
    if expected == _STRING:
        return isinstance(value, str)
    if expected == _OBJECT:
        return isinstance(value, dict)
    # JSON true/false decode to bool, a subclass of int: never a number here.
    if isinstance(value, bool):
        return False
    if expected == _INTEGER:
        return isinstance(value, int)
    return isinstance(value, int | float)


def _check_types(claims: Mapping[str, Any], types: Mapping[str, str], prefix: str = "") -> None:
    for name, expected in types.items():
        value = claims.get(name)
        if value is not None and not _has_type(value, expected):
            raise AuthenticationError(
                f"the session token's {prefix}{name!r} claim must be {expected}"
            )


def _id(value: str | None, claim: str) -> str | None:
    if value is None or value == "":
        return None
    if not _ID.match(value):
        raise AuthenticationError(f"the session token's {claim!r} claim is not a Clerk id")
    return value


def session_claims(claims: Mapping[str, Any]) -> SessionClaims:
    """The claims this service uses, type-checked; AuthenticationError names a bad one."""
    _check_types(claims, CLAIM_TYPES)
    subject = _id(claims.get("sub"), "sub")
    if subject is None:
        raise AuthenticationError("the session token has no subject")
    # Session token v2 nests the active organization in ``o``; v1 used flat claims.
    nested = claims.get("o")
    if nested is not None:
        _check_types(nested, ORGANIZATION_CLAIM_TYPES, prefix="o.")
        organization_id, role = _id(nested.get("id"), "o.id"), nested.get("rol")
    else:
        organization_id, role = _id(claims.get("org_id"), "org_id"), claims.get("org_role")
    return SessionClaims(
        subject=subject,
        authorized_party=claims.get("azp"),
        pending=claims.get("sts") == PENDING,
        organization_id=organization_id,
        organization_role=role if organization_id is not None else None,
    )
