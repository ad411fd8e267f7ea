"""Optional HMAC signatures on n8n's callbacks (``N8N_CALLBACK_SECRET``).

The bearer token proves a callback knows its run's token; the signature, when a
secret is configured, also proves it comes from our n8n (which holds the secret in
a Crypto credential and never sends it) and is fresh: it covers
``<timestamp>.<raw body>`` with HMAC-SHA256, and a timestamp more than five minutes
from now is refused, so a captured callback cannot be replayed later. The same
scheme as svix's, which the Clerk webhooks use.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Mapping
from datetime import timedelta

from manyfutures.core.identity.ports import AuthenticationError
from manyfutures.core.shared.ports import Clock

TIMESTAMP_HEADER = "X-Manyfutures-Timestamp"
SIGNATURE_HEADER = "X-Manyfutures-Signature"
TOLERANCE = timedelta(minutes=5)
_MAX_TIMESTAMP_DIGITS = 12


def callback_signature(secret: str, timestamp: str, body: bytes) -> str:
    """Lowercase hex HMAC-SHA256 of ``<timestamp>.<body>``: what n8n's Crypto node sends."""
    message = timestamp.encode("ascii") + b"." + body
    return hmac.new(secret.encode("utf-8"), message, hashlib.sha256).hexdigest()


class CallbackSignatureVerifier:
    def __init__(self, secret: str, clock: Clock) -> None:
        self._secret = secret
        self._clock = clock

    @property
    def required(self) -> bool:
        return bool(self._secret)

    def verify(self, body: bytes, headers: Mapping[str, str]) -> None:
        """Nothing to check without a secret; otherwise raise AuthenticationError unless
        the signature matches and its timestamp is within five minutes of now."""
        if not self._secret:
            return
        timestamp = headers.get(TIMESTAMP_HEADER, "")
        signature = headers.get(SIGNATURE_HEADER, "")
        if (
            not (timestamp.isascii() and timestamp.isdigit())
            or len(timestamp) > _MAX_TIMESTAMP_DIGITS
        ):
            raise _refused()
        age = abs(self._clock.now().timestamp() - int(timestamp))
        expected = callback_signature(self._secret, timestamp, body).encode("ascii")
        matches = hmac.compare_digest(expected, signature.strip().encode("utf-8", "replace"))
        if not matches or age > TOLERANCE.total_seconds():
            raise _refused()


def _refused() -> AuthenticationError:
    return AuthenticationError(
        f"the callback signature ({SIGNATURE_HEADER}, {TIMESTAMP_HEADER}) is missing, "
        "invalid or more than 5 minutes old"
    )
