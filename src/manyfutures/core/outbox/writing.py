"""Writing an email to the outbox, rendered: what the row holds is exactly what is sent.

Rendering when the message is written, rather than when it is sent, means a redelivery
sends the same bytes, a template changed by a later release never alters a message
already promised, and a template that cannot render fails loudly in the use case
that wrote it rather than in a dispatcher retrying it for hours (the tests render
every kind of email).
"""

from __future__ import annotations

from datetime import datetime

from manyfutures.core.outbox.emails import Email
from manyfutures.core.outbox.model import ID_PREFIX, OutboxMessage
from manyfutures.core.outbox.ports import EmailTemplates, OutboxRepository
from manyfutures.core.outbox.unsubscribe import UnsubscribeTarget
from manyfutures.core.shared.ports import IdGenerator


def write_email(
    outbox: OutboxRepository,
    templates: EmailTemplates,
    ids: IdGenerator,
    *,
    organization_id: str,
    recipient: str,
    email: Email,
    now: datetime,
    unsubscribe: UnsubscribeTarget | None = None,
) -> OutboxMessage:
    """With ``unsubscribe``, the row also holds the signed link its headers will carry."""
    rendered = templates.render(email, unsubscribe)
    message = OutboxMessage.email(
        id=ids.new_id(ID_PREFIX),
        organization_id=organization_id,
        recipient=recipient,
        subject=rendered.subject,
        body=rendered.text,
        html=rendered.html,
        list_unsubscribe=rendered.list_unsubscribe,
        now=now,
    )
    outbox.add(message)
    return message
