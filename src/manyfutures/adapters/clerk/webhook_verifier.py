"""Verify Clerk webhooks with svix, the library Clerk's sender uses.

svix checks the HMAC over ``svix-id.svix-timestamp.body`` and rejects timestamps
more than five minutes away from now, which is what makes a captured request
useless for replay later.
"""

from __future__ import annotations

import binascii
from collections.abc import Mapping

from svix.webhooks import Webhook, WebhookVerificationError

from manyfutures.core.identity.ports import AuthenticationError

SVIX_HEADERS = ("svix-id", "svix-timestamp", "svix-signature")


class SvixWebhookVerifier:
    def __init__(self, signing_secret: str) -> None:
        self._webhook: Webhook | None = None
        if signing_secret:
            try:
                self._webhook = Webhook(signing_secret)
            except (binascii.Error, ValueError) as error:
                raise ValueError(
                    "CLERK_WEBHOOK_SIGNING_SECRET is not a svix secret (whsec_…)"
                ) from error

    def verify(self, body: bytes, headers: Mapping[str, str]) -> str:
        """Return the message's svix-id, or raise AuthenticationError."""
        if self._webhook is None:
            raise AuthenticationError(
                "webhooks are not accepted: CLERK_WEBHOOK_SIGNING_SECRET is not configured"
            )
        given = {name: headers.get(name, "") for name in SVIX_HEADERS}
        try:
            self._webhook.verify(body, given)
        # svix raises ValueError/binascii.Error for malformed signature lists, not only
        # WebhookVerificationError; every one of them means "not signed by Clerk".
        except (WebhookVerificationError, ValueError, binascii.Error):
            raise AuthenticationError(
                "the webhook signature is missing, invalid or older than 5 minutes"
            ) from None
        return given["svix-id"]
