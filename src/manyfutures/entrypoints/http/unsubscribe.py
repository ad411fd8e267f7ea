"""One-click unsubscribe (RFC 8058): the signed link in every email, used with nobody signed in.

Outside /v1, like the webhooks: the signed token is the only credential, so neither
authentication nor the per-user rate limit applies. ``POST`` unsubscribes, whatever its
body (mail clients send ``List-Unsubscribe=One-Click`` as a form; the signature, not the
body, is the proof). ``GET`` only says what a POST would stop: mail scanners follow links,
and a scanned email must not unsubscribe its reader. A tampered link is a 422.
"""

from __future__ import annotations

from typing import Any

from dependency_injector.wiring import Provide, inject
from flask import Blueprint

from manyfutures.container import Container
from manyfutures.core.notifications.model import Channel
from manyfutures.core.notifications.use_cases import CheckUnsubscribeLink, Unsubscribe
from manyfutures.entrypoints.http.notification_schemas import UnsubscribeSchema
from manyfutures.entrypoints.http.openapi import operation

blueprint = Blueprint("unsubscribe", __name__)
TAG = "Notifications"


@blueprint.get("/unsubscribe/<token>")
@operation(
    TAG,
    "What an email's unsubscribe link would stop (changes nothing)",
    responses={200: UnsubscribeSchema},
    public=True,
    errors=(422,),
)
@inject
def check_unsubscribe(
    token: str,
    use_case: CheckUnsubscribeLink = Provide[Container.notifications.check_unsubscribe_link],
) -> dict[str, Any]:
    kind = use_case(token)
    return {"kind": kind.value, "channel": Channel.EMAIL.value, "unsubscribed": False}


@blueprint.post("/unsubscribe/<token>")
@operation(
    TAG,
    "One-click unsubscribe (RFC 8058): stop the link's reader's emails of its kind",
    responses={200: UnsubscribeSchema},
    public=True,
    errors=(422,),
)
@inject
def unsubscribe(
    token: str,
    use_case: Unsubscribe = Provide[Container.notifications.unsubscribe],
) -> dict[str, Any]:
    kind = use_case(token)
    return {"kind": kind.value, "channel": Channel.EMAIL.value, "unsubscribed": True}
