"""Identity's use cases: the caller, their organization, and Clerk's changes."""

from __future__ import annotations

from dependency_injector import containers, providers

from manyfutures.composition.use_case import use_case
from manyfutures.core.identity.admission import AdmitSession
from manyfutures.core.identity.use_cases import (
    ApplyIdentityChange,
    GetMe,
    GetOrganization,
    SyncMembership,
    SyncUser,
    UpdateOrganization,
)


class IdentityContainer(containers.DeclarativeContainer):
    adapters = providers.DependenciesContainer()

    get_me = use_case(GetMe, adapters)
    get_organization = use_case(GetOrganization, adapters)
    update_organization = use_case(UpdateOrganization, adapters)
    sync_user = use_case(SyncUser, adapters)
    sync_membership = use_case(SyncMembership, adapters)
    apply_identity_change = use_case(ApplyIdentityChange, adapters)
    admit_session = use_case(AdmitSession, adapters)
