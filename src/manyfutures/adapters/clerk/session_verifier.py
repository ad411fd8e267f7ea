"""Verify Clerk session tokens (RS256 JWTs) into a Principal, with PyJWT.

Clerk signs a short-lived JWT per session. It arrives as ``Authorization: Bearer``
(cross-origin calls, n8n) or as the ``__session`` cookie (same-site browser calls).
The key is either the instance's PEM public key (``CLERK_JWT_KEY``: networkless,
preferred) or fetched from the JWKS endpoint (``CLERK_JWKS_URL``), cached and
re-fetched when a token names a key id the cache does not know (key rotation).

Only RS256 is accepted, whatever the token's header claims: that single rule is what
defeats ``alg: none`` and the "HS256 signed with the public key" confusion attack.

A verified token is remembered by its SHA-256 until its ``exp`` and no longer (at
most ``CACHE_CAPACITY`` of them, least recently used first out): a session sends the
same token for about a minute, and verifying it again (base64, JSON, RSA, claim
checks) is most of the API's per-request authentication cost. Only successes are
kept; a refused token is verified again each time. The clock leeway still applies
to an uncached token, so one just past ``exp`` is verified afresh, never served from
the cache.
"""

from __future__ import annotations

import hashlib
import logging
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import jwt
from cachetools import TLRUCache
from cryptography.hazmat.primitives.asymmetric.rsa import RSAPublicKey
from cryptography.hazmat.primitives.serialization import load_pem_public_key

from manyfutures.adapters.clerk.session_claims import session_claims
from manyfutures.core.identity.ports import (
    AuthenticationError,
    IdentityProviderUnavailableError,
    Principal,
)
from manyfutures.core.shared.actor import Role

logger = logging.getLogger(__name__)

ALGORITHM = "RS256"
SESSION_COOKIE = "__session"
MAX_LEEWAY_SECONDS = 5.0
JWKS_CACHE_SECONDS = 300
JWKS_TIMEOUT_SECONDS = 5.0
CACHE_CAPACITY = 50_000


class ClerkSessionVerifier:
    def __init__(
        self,
        issuer: str,
        authorized_parties: Sequence[str] | str = (),
        jwt_key: str = "",
        jwks_url: str = "",
        leeway_seconds: float = MAX_LEEWAY_SECONDS,
        jwks_client: jwt.PyJWKClient | None = None,
        jwks_refresh_cooldown_seconds: float = 30.0,
        cache_capacity: int = CACHE_CAPACITY,
        timer: Callable[[], float] = time.time,
    ) -> None:
        if not issuer:
            raise ValueError("CLERK_ISSUER is required to verify Clerk session tokens")
        if not 0 <= leeway_seconds <= MAX_LEEWAY_SECONDS:
            raise ValueError(f"clock leeway must be between 0 and {MAX_LEEWAY_SECONDS} s")
        self._issuer = issuer
        self._parties = frozenset(_split(authorized_parties))
        self._leeway = leeway_seconds
        self._key: RSAPublicKey | None = _load_pem(jwt_key) if jwt_key else None
        self._jwks = jwks_client
        if self._key is None and self._jwks is None:
            if not jwks_url:
                raise ValueError("set CLERK_JWT_KEY (PEM) or CLERK_JWKS_URL")
            self._jwks = jwt.PyJWKClient(
                jwks_url,
                cache_jwk_set=True,
                lifespan=JWKS_CACHE_SECONDS,
                timeout=JWKS_TIMEOUT_SECONDS,
                cooldown_duration=jwks_refresh_cooldown_seconds,
            )
        # token digest -> (principal, exp); an entry leaves the cache at its token's exp.
        self._verified: TLRUCache[bytes, tuple[Principal, float]] = TLRUCache(
            maxsize=cache_capacity, ttu=lambda _key, value, _now: value[1], timer=timer
        )
        self._lock = threading.Lock()  # cachetools' caches are not thread-safe

    def verify(self, headers: Mapping[str, str], cookies: Mapping[str, str]) -> Principal:
        token = _token(headers, cookies)
        digest = hashlib.sha256(token.encode()).digest()
        with self._lock:
            cached = self._verified.get(digest)
        if cached is not None:
            return cached[0]
        principal, expires_at = self._verify(token)
        with self._lock:
            self._verified[digest] = (principal, expires_at)
        return principal

    def _verify(self, token: str) -> tuple[Principal, float]:
        try:
            header = jwt.get_unverified_header(token)
        except jwt.InvalidTokenError:
            raise AuthenticationError("the session token is not a well-formed JWT") from None
        if header.get("alg") != ALGORITHM:
            raise AuthenticationError(f"the session token must be signed with {ALGORITHM}")
        claims = self._decode(token)
        return _principal(claims, self._parties), float(claims["exp"])

    def _signing_key(self, token: str) -> Any:
        if self._key is not None:
            return self._key
        assert self._jwks is not None
        try:
            return self._jwks.get_signing_key_from_jwt(token).key
        except jwt.PyJWKClientConnectionError as error:
            logger.error("Clerk JWKS endpoint unreachable: %s", error)
            raise IdentityProviderUnavailableError(
                "the identity provider's keys could not be fetched; retry shortly"
            ) from None
        except (jwt.PyJWKClientError, jwt.InvalidTokenError):
            raise AuthenticationError("the session token is signed with an unknown key") from None

    def _decode(self, token: str) -> dict[str, Any]:
        key = self._signing_key(token)
        try:
            claims: dict[str, Any] = jwt.decode(
                token,
                key,
                algorithms=[ALGORITHM],
                issuer=self._issuer,
                leeway=self._leeway,
                options={"require": ["exp", "iat", "iss", "sub"], "verify_aud": False},
            )
        except jwt.ExpiredSignatureError:
            raise AuthenticationError("the session token has expired") from None
        except jwt.ImmatureSignatureError:
            raise AuthenticationError("the session token is not valid yet") from None
        except jwt.InvalidIssuerError:
            raise AuthenticationError("the session token was issued by another issuer") from None
        except jwt.InvalidSignatureError:
            raise AuthenticationError("the session token's signature does not verify") from None
        except jwt.InvalidTokenError as error:
            raise AuthenticationError(f"the session token is not valid: {error}") from None
        return claims


def _split(parties: Sequence[str] | str) -> list[str]:
    items = parties.split(",") if isinstance(parties, str) else list(parties)
    return [item.strip() for item in items if item.strip()]


def _load_pem(pem: str) -> RSAPublicKey:
    # Environment files often carry the PEM on one line with literal "\n" escapes.
    text = pem.replace("\\n", "\n").strip()
    try:
        key = load_pem_public_key(text.encode())
    except ValueError:
        raise ValueError("CLERK_JWT_KEY is not a PEM-encoded public key") from None
    if not isinstance(key, RSAPublicKey):
        raise ValueError("CLERK_JWT_KEY must be an RSA public key (Clerk signs with RS256)")
    return key


def _token(headers: Mapping[str, str], cookies: Mapping[str, str]) -> str:
    authorization = headers.get("Authorization", "").strip()
    if authorization:
        scheme, _, credentials = authorization.partition(" ")
        if scheme.lower() != "bearer" or not credentials.strip():
            raise AuthenticationError("send the Clerk session token as 'Authorization: Bearer …'")
        return credentials.strip()
    cookie = cookies.get(SESSION_COOKIE, "").strip()
    if cookie:
        return cookie
    raise AuthenticationError(
        f"sign in: send a Clerk session token as a Bearer token or the {SESSION_COOKIE} cookie"
    )


def _principal(claims: Mapping[str, Any], parties: frozenset[str]) -> Principal:
    session = session_claims(claims)
    azp = session.authorized_party
    if parties and azp is not None and azp not in parties:
        raise AuthenticationError("the session token was issued for another application")
    if session.pending:
        raise AuthenticationError(
            "the session is pending: finish signing in (for example, choose an organization)"
        )
    if session.organization_id is None:
        return Principal(session.subject, None, None)
    return Principal(
        session.subject, session.organization_id, clerk_role(session.organization_role)
    )


def clerk_role(name: object) -> Role:
    """``org:admin`` (v1) and ``admin`` (v2) are admins; anything else is least privilege."""
    if isinstance(name, str) and name.removeprefix("org:") == Role.ADMIN.value:
        return Role.ADMIN
    return Role.MEMBER
