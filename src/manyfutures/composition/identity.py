"""Identity's use cases: the caller, their organization, and Clerk's changes."""

from __future__ import annotations

from collections.abc import Callable

from dependency_injector import containers, providers

from manyfutures.composition.use_case import use_case
from manyfutures.core.identity.admission import AdmitSession
from manyfutures.core.identity.resume_session import ResumeSession
from manyfutures.core.identity.set_plan import SetPlan
from manyfutures.core.identity.use_cases import (
    ApplyIdentityChange,
    CountActiveProjects,
    DeleteOrganizationCommand,
    GetMe,
    GetOrganization,
    SyncMembership,
    SyncUser,
    UpdateOrganization,
)


class IdentityContainer(containers.DeclarativeContainer):
    adapters = providers.DependenciesContainer()
    # Projects sit above identity and must stop with their organization, so the projects
    # capability's use case arrives here as a slot (ADR 0005, ADR 0006).
    delete_organization: providers.Dependency[Callable[[DeleteOrganizationCommand], bool]] = (
        providers.Dependency()
    )
    # The same for the count of active projects the organization's settings show.
    count_active_projects: providers.Dependency[CountActiveProjects] = providers.Dependency()
    # Likewise generation's: a raised daily limit resumes the day's held-back slots.
    limit_raised: providers.Dependency[Callable[[str], int]] = providers.Dependency()

    get_me = use_case(GetMe, adapters)
    get_organization = use_case(
        GetOrganization, adapters, adapters.plan_defaults, count_active_projects
    )
    update_organization = use_case(
        UpdateOrganization, adapters, adapters.plan_defaults, count_active_projects, limit_raised
    )
    sync_user = use_case(SyncUser, adapters)
    sync_membership = use_case(SyncMembership, adapters)
    apply_identity_change = use_case(
        ApplyIdentityChange, adapters, delete_organization, adapters.plan_defaults
    )
    admit_session = use_case(AdmitSession, adapters)
    # Every console request: its cookie outlives any Clerk token (ADR 0022).
    resume_session = use_case(ResumeSession, adapters)
    # The operator's `manyfutures orgs set-plan`.
    set_plan = use_case(SetPlan, adapters, adapters.plan_defaults)
