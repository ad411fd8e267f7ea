"""Clerk-shaped session tokens for the API bench: RS256, one per user, re-minted every 60 s.

Clerk's front end holds a 60-second session token and replaces it about once a minute,
so a server that caches verified tokens sees each user's token change every minute and
pays a full RS256 verification for each new one. The bench does the same with its own
key pair: every user gets a new token every ``REFRESH_SECONDS``, at an instant of its
own (users' refreshes are spread over the minute, as real sessions started at different
times would be), each valid for ``LIFETIME_SECONDS`` from its ``iat``.

wrk cannot sign tokens, so before each load the bench hands it every token that will
be current during that load, each with the second it takes over; the Lua script picks
the newest one whose second has come (``os.time()``). A token is then used at most one
second past its ``exp`` (``os.time()`` truncates), inside the verifier's clock leeway.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

ISSUER = "https://clerk.bench.example"
REFRESH_SECONDS = 60
LIFETIME_SECONDS = 60


@dataclass(frozen=True)
class Session:
    user_id: str
    organization_id: str


class SessionTokens:
    def __init__(self, sessions: list[Session]) -> None:
        self._key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        self._sessions = sessions
        self._epoch = int(time.time())
        self._minted: dict[tuple[int, int], str] = {}

    @property
    def public_pem(self) -> str:
        return (
            self._key.public_key()
            .public_bytes(
                serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
            )
            .decode()
        )

    @property
    def minted(self) -> int:
        return len(self._minted)

    def _offset(self, index: int) -> int:
        return index * REFRESH_SECONDS // len(self._sessions)

    def _token(self, index: int, instant: int) -> str:
        key = (index, instant)
        if key not in self._minted:
            session = self._sessions[index]
            self._minted[key] = jwt.encode(
                {
                    "iss": ISSUER,
                    "sub": session.user_id,
                    "sid": f"sess_{index}_{instant}",
                    "azp": "https://app.bench.example",
                    "iat": instant,
                    "nbf": instant - 10,
                    "exp": instant + LIFETIME_SECONDS,
                    "v": 2,
                    "o": {"id": session.organization_id, "rol": "admin"},
                },
                self._key,
                algorithm="RS256",
            )
        return self._minted[key]

    def issued_at(self, instant: int) -> list[str]:
        """Every user's token issued at ``instant`` (in the sessions' order)."""
        return [self._token(index, instant) for index in range(len(self._sessions))]

    def schedule(self, seconds: float) -> list[list[tuple[int, str]]]:
        """Per user, (second it takes over, token) for every token current from now until
        ``seconds`` (plus a margin for wrk's start-up) from now."""
        now, end = time.time(), time.time() + seconds + 5
        schedule = []
        for index in range(len(self._sessions)):
            start = self._epoch + self._offset(index)
            first = math.floor((now - start) / REFRESH_SECONDS)
            last = math.floor((end - start) / REFRESH_SECONDS)
            schedule.append(
                [
                    (instant, self._token(index, instant))
                    for instant in (start + k * REFRESH_SECONDS for k in range(first, last + 1))
                ]
            )
        return schedule
