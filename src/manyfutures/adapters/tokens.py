"""Callback tokens from the operating system's random source (``secrets``)."""

from __future__ import annotations

import secrets

TOKEN_BYTES = 32  # 256 bits: as hard to guess as the hash that stands for it


class RandomCallbackTokens:
    def new_token(self) -> str:
        return secrets.token_urlsafe(TOKEN_BYTES)
