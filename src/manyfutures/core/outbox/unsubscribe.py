"""Signed one-click unsubscribe links (RFC 8058): who may stop which email, without signing in.

A mail client's "Unsubscribe" button POSTs to the link in the message's
``List-Unsubscribe`` header with nobody signed in, so the link itself must say whose
email of which kind to stop, and prove that we wrote it: the token is the organization,
the user and the kind, then an HMAC-SHA256 of exactly those characters under a secret
only the server holds (``MANYFUTURES_UNSUBSCRIBE_SECRET``). A changed character in
either half fails the check; comparing the encoded text, not decoded bytes, means no
second spelling of the same token passes. The token never expires: an old email's
button keeps working, and the worst a leaked one can do is switch off one kind of
email for one reader, which they can switch back on (docs/adr/0019).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import re
from dataclasses import dataclass

from manyfutures.core.shared.errors import ValidationError

# Distinguishes these MACs from any other the same secret might ever sign.
_CONTEXT = b"manyfutures-unsubscribe-v1."
_SEPARATOR = "\x1f"
_TOKEN = re.compile(r"[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+")
TOKEN_FIELD = "token"


@dataclass(frozen=True, slots=True)
class UnsubscribeTarget:
    """One reader's emails of one kind, in one organization."""

    organization_id: str
    user_id: str
    kind: str


def _encode(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")


def _mac(secret: bytes, payload: str) -> str:
    return _encode(hmac.new(secret, _CONTEXT + payload.encode("ascii"), hashlib.sha256).digest())


def sign_unsubscribe(secret: bytes, target: UnsubscribeTarget) -> str:
    parts = (target.organization_id, target.user_id, target.kind)
    if any(not part or _SEPARATOR in part for part in parts):
        raise ValueError(f"cannot sign an unsubscribe link for {target!r}")
    payload = _encode(_SEPARATOR.join(parts).encode())
    return f"{payload}.{_mac(secret, payload)}"


def verify_unsubscribe(secret: bytes, token: str) -> UnsubscribeTarget:
    """The target a token we signed names; a ``ValidationError`` on ``token`` for any other."""
    invalid = ValidationError.for_field(TOKEN_FIELD, "this unsubscribe link is not valid")
    if not _TOKEN.fullmatch(token):
        raise invalid
    payload, mac = token.split(".")
    if not hmac.compare_digest(_mac(secret, payload), mac):
        raise invalid
    try:
        text = base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)).decode()
    except (binascii.Error, UnicodeDecodeError):
        raise invalid from None
    parts = text.split(_SEPARATOR)
    if len(parts) != 3 or not all(parts):
        raise invalid
    return UnsubscribeTarget(*parts)
