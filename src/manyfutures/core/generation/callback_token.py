"""Callback tokens: how a generator proves which run it reports on.

Each run gets a fresh random token, sent to the generator with the job and never
stored: the database keeps its SHA-256, so a leaked row cannot be replayed as a
callback. The token is 256 random bits, so a plain hash is enough (no salt or slow
hash: nothing to brute-force), and the comparison takes the same time whatever
the token, so its hash cannot be guessed a byte at a time.
"""

from __future__ import annotations

import hashlib
import hmac


def hash_callback_token(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def callback_token_matches(token: str, stored_hash: str | None) -> bool:
    """Constant time in the token; a run without a stored hash matches nothing."""
    expected = stored_hash or ""
    return hmac.compare_digest(hash_callback_token(token), expected) and bool(stored_hash)
