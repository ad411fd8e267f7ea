"""This run's own Clerk: a signing key the API trusts, session tokens and signed webhooks.

The API runs with production authentication (``MANYFUTURES_AUTH=clerk``), so the reader
signs up the way a real one does: Clerk's webhooks create the user (with an email
address and a time zone), the organization and the membership, and every API call
carries an RS256 session token, verified against the PEM the API was given.
"""

from __future__ import annotations

import base64
import json
import os
import time
from datetime import UTC, datetime
from typing import Any

import httpx
import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from svix.webhooks import Webhook

ISSUER = "https://clerk.manyfutures-e2e.test"


class Clerk:
    def __init__(self) -> None:
        self._key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        self.public_pem = (
            self._key.public_key()
            .public_bytes(
                serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
            )
            .decode()
        )
        self.webhook_secret = "whsec_" + base64.b64encode(os.urandom(24)).decode()
        self._deliveries = 0

    def settings(self) -> dict[str, str]:
        return {
            "MANYFUTURES_AUTH": "clerk",
            "CLERK_ISSUER": ISSUER,
            "CLERK_JWT_KEY": self.public_pem,
            "CLERK_WEBHOOK_SIGNING_SECRET": self.webhook_secret,
        }

    def session(self, user: str, org: str, role: str = "admin") -> dict[str, str]:
        """The Authorization header of a fresh session token, valid for a minute."""
        now = int(time.time())
        claims = {
            "sub": user,
            "iss": ISSUER,
            "iat": now,
            "nbf": now,
            "exp": now + 60,
            "sid": "sess_e2e",
            "sts": "active",
            "v": 2,
            "o": {"id": org, "rol": role},
        }
        token = jwt.encode(claims, self._key, algorithm="RS256", headers={"kid": "ins_e2e"})
        return {"Authorization": f"Bearer {token}"}

    def deliver(self, client: httpx.Client, kind: str, data: dict[str, Any]) -> None:
        """A svix-signed event to ``/webhooks/clerk``, as Clerk delivers it."""
        self._deliveries += 1
        message_id = f"msg_e2e_{self._deliveries}"
        body = json.dumps({"type": kind, "object": "event", "data": data})
        now = datetime.now(UTC)
        response = client.post(
            "/webhooks/clerk",
            content=body,
            headers={
                "Content-Type": "application/json",
                "svix-id": message_id,
                "svix-timestamp": str(int(now.timestamp())),
                "svix-signature": Webhook(self.webhook_secret).sign(message_id, now, body),
            },
        )
        if response.status_code != 200:
            raise RuntimeError(f"Clerk {kind} webhook: {response.status_code} {response.text}")


def sign_up(clerk: Clerk, client: httpx.Client, user: str, org: str, email: str, zone: str) -> None:
    """What Clerk sends when a reader signs up and creates their organization."""
    clerk.deliver(
        client,
        "user.created",
        {
            "id": user,
            "first_name": "Ada",
            "last_name": "Lovelace",
            "primary_email_address_id": "idn_e2e",
            "email_addresses": [{"id": "idn_e2e", "email_address": email}],
            "public_metadata": {"timezone": zone},
        },
    )
    clerk.deliver(client, "organization.created", {"id": org, "name": "Many Futures e2e"})
    clerk.deliver(
        client,
        "organizationMembership.created",
        {
            "id": "orgmem_e2e",
            "role": "org:admin",
            "organization": {"id": org, "name": "Many Futures e2e"},
            "public_user_data": {
                "user_id": user,
                "identifier": email,
                "first_name": "Ada",
                "last_name": "Lovelace",
            },
        },
    )
