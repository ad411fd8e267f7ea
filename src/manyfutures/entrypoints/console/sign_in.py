"""Signing in and out of the console.

Two ways in, each verified once and then kept as the console's own session
(session.py, ADR 0022):

* **Clerk** (production): the main front end POSTs the reader's current Clerk session
  token (form field ``token``) to ``/sign-in/clerk``. It is verified by the API's own
  verifier and the session admitted, exactly as an API request's. That POST carries
  no CSRF token (it comes from the front end's origin), so its ``Origin`` must be
  the console's own or one of ``CLERK_AUTHORIZED_PARTIES``: another site cannot sign
  a reader into someone else's account.
* **Dev** (wherever dev auth is on, i.e. memory mode): a page to pick one of the demo
  identities. Off, it answers 404.
"""

from __future__ import annotations

from dataclasses import dataclass

from dependency_injector.wiring import Provide, inject
from flask import Blueprint, abort, flash, render_template, request, url_for
from flask.typing import ResponseReturnValue

from manyfutures.container import Container
from manyfutures.core.identity.admission import AdmitSession, AdmitSessionCommand
from manyfutures.core.identity.ports import (
    AuthenticationError,
    IdentityProviderUnavailableError,
    IdentityVerifier,
)
from manyfutures.core.shared.actor import Actor, Role
from manyfutures.core.shared.errors import PermissionDeniedError
from manyfutures.core.shared.ports import Clock
from manyfutures.entrypoints.console.guard import csrf_exempt, public
from manyfutures.entrypoints.console.redirects import SIGN_IN_ENDPOINT, go_to, local_path
from manyfutures.entrypoints.console.session import end_session, start_session
from manyfutures.entrypoints.demo import DEMO_ORG, DEMO_USER

blueprint = Blueprint("sign_in", __name__)


@dataclass(frozen=True, slots=True)
class DevIdentity:
    label: str
    actor: Actor


# The identities the dev sign-in offers: the demo admin, a plain member of the demo
# organization, and the admin of a second organization (to see tenants kept apart).
DEV_IDENTITIES = (
    DevIdentity(
        "Demo Reader, admin of the demo organization", Actor(DEMO_USER, DEMO_ORG, Role.ADMIN)
    ),
    DevIdentity(
        "Demo Member, member of the demo organization",
        Actor("user_demo_member", DEMO_ORG, Role.MEMBER),
    ),
    DevIdentity(
        "Other Admin, admin of another organization",
        Actor("user_other_admin", "org_other", Role.ADMIN),
    ),
)


@blueprint.get("/sign-in")
@public
@inject
def sign_in(auth: str = Provide[Container.config.auth]) -> ResponseReturnValue:
    return render_template(
        "console/sign_in.html",
        dev=auth == "dev",
        identities=DEV_IDENTITIES,
        next_path=local_path(request.args.get("next")),
    )


@blueprint.post("/sign-in/dev")
@public
@inject
def dev_sign_in(
    auth: str = Provide[Container.config.auth],
    admit: AdmitSession = Provide[Container.identity.admit_session],
    clock: Clock = Provide[Container.adapters.clock],
) -> ResponseReturnValue:
    if auth != "dev":
        abort(404)
    choice = request.form.get("identity", "")
    if not choice.isdigit() or int(choice) >= len(DEV_IDENTITIES):
        flash("Choose one of the identities.", "error")
        return _sign_in_again(400, dev=True)
    actor = DEV_IDENTITIES[int(choice)].actor
    return _admit_and_start(admit, clock, actor, dev=True)


@blueprint.post("/sign-in/clerk")
@public
@csrf_exempt
@inject
def clerk_sign_in(
    auth: str = Provide[Container.config.auth],
    parties: str = Provide[Container.config.clerk_authorized_parties],
    verifier: IdentityVerifier = Provide[Container.http.identity_verifier],
    admit: AdmitSession = Provide[Container.identity.admit_session],
    clock: Clock = Provide[Container.adapters.clock],
) -> ResponseReturnValue:
    if auth != "clerk":
        abort(404)
    trusted = {request.host_url.rstrip("/")} | {p.strip() for p in parties.split(",") if p.strip()}
    if request.headers.get("Origin") not in trusted:
        abort(403, "this sign-in must come from the Many Futures app or the console itself")
    token = request.form.get("token", "").strip()
    try:
        principal = verifier.verify({"Authorization": f"Bearer {token}"}, {})
    except AuthenticationError as error:
        flash(f"That session could not be verified: {error}.", "error")
        return _sign_in_again(401)
    except IdentityProviderUnavailableError:
        flash("The sign-in service is unavailable right now: try again in a minute.", "error")
        return _sign_in_again(503)
    if principal.organization_id is None or principal.role is None:
        flash("Choose an organization in the Many Futures app first, then sign in again.")
        return _sign_in_again(403)
    actor = Actor(principal.user_id, principal.organization_id, principal.role)
    return _admit_and_start(admit, clock, actor, dev=False)


@blueprint.post("/sign-out")
def sign_out() -> ResponseReturnValue:
    end_session()
    flash("You are signed out.", "info")
    return go_to(url_for(SIGN_IN_ENDPOINT))


def _admit_and_start(
    admit: AdmitSession, clock: Clock, actor: Actor, *, dev: bool
) -> ResponseReturnValue:
    try:
        admit(AdmitSessionCommand(actor))
    except AuthenticationError as error:
        flash(f"You cannot sign in: {error}.", "error")
        return _sign_in_again(401, dev=dev)
    except PermissionDeniedError as error:
        flash(f"You cannot sign in: {error}.", "error")
        return _sign_in_again(403, dev=dev)
    start_session(actor.user_id, actor.organization_id, clock.now())
    return go_to(local_path(request.form.get("next")))


def _sign_in_again(status: int, *, dev: bool = False) -> ResponseReturnValue:
    page = render_template(
        "console/sign_in.html",
        dev=dev,
        identities=DEV_IDENTITIES,
        next_path=local_path(request.form.get("next")),
    )
    return page, status
