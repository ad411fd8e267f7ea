"""Test-side Clerk: RSA keys made with ``cryptography`` and session tokens signed with them."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
from typing import Any

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

ISSUER = "https://clerk.example.test"
PARTIES = ("https://app.example.test", "https://admin.example.test")


class SigningKey:
    def __init__(self, kid: str) -> None:
        self.kid = kid
        self.private = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        self.public_pem = (
            self.private.public_key()
            .public_bytes(
                serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
            )
            .decode()
        )

    def jwk(self) -> dict[str, Any]:
        key: dict[str, Any] = jwt.algorithms.RSAAlgorithm.to_jwk(
            self.private.public_key(), as_dict=True
        )
        return {**key, "kid": self.kid, "use": "sig", "alg": "RS256"}

    def token(self, **overrides: Any) -> str:
        """Signed with PyJWS directly: ``jwt.encode`` would refuse to sign some of the
        malformed claims (a non-string ``iss``) that tests need Clerk to have sent."""
        payload = json.dumps(claims(**overrides)).encode()
        return jwt.api_jws.encode(
            payload, self.private, algorithm="RS256", headers={"kid": self.kid}
        )


def claims(**overrides: Any) -> dict[str, Any]:
    now = int(time.time())
    base: dict[str, Any] = {
        "sub": "user_c",
        "iss": ISSUER,
        "iat": now,
        "nbf": now,
        "exp": now + 60,
        "azp": PARTIES[0],
        "sid": "sess_1",
        "sts": "active",
        "v": 2,
        "o": {"id": "org_c", "rol": "admin", "slg": "acme"},
    }
    base.update(overrides)
    return {key: value for key, value in base.items() if value is not None}


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def unsigned_token(**overrides: Any) -> str:
    header = _b64(json.dumps({"alg": "none", "typ": "JWT"}).encode())
    return f"{header}.{_b64(json.dumps(claims(**overrides)).encode())}."


def hs256_with_public_key(public_pem: str, **overrides: Any) -> str:
    """The algorithm-confusion attack: HMAC keyed with the (public) RSA key's PEM."""
    header = _b64(json.dumps({"alg": "HS256", "typ": "JWT"}).encode())
    payload = _b64(json.dumps(claims(**overrides)).encode())
    signature = hmac.new(
        public_pem.encode(), f"{header}.{payload}".encode(), hashlib.sha256
    ).digest()
    return f"{header}.{payload}.{_b64(signature)}"
