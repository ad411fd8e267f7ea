"""Projects' use cases, advancing due projects to their next slot, and deleting an
organization with its projects."""

from __future__ import annotations

from dependency_injector import containers, providers

from manyfutures.composition.use_case import use_case
from manyfutures.core.listings.use_cases import ListEpisodePage, ListProjectPage
from manyfutures.core.projects.advance import ScheduleDueProjects
from manyfutures.core.projects.organization_deletion import DeleteOrganization
from manyfutures.core.projects.plan_limit import CountActiveProjects
from manyfutures.core.projects.use_cases import (
    CreateProject,
    DeleteProject,
    GetProject,
    ListProjects,
    PauseProject,
    ResumeProject,
    UpdateProjectSettings,
)


class ProjectsContainer(containers.DeclarativeContainer):
    adapters = providers.DependenciesContainer()

    # Creating and resuming hold active projects to the plan (plan_limit.py).
    create_project = use_case(CreateProject, adapters, adapters.plan_defaults)
    update_project_settings = use_case(UpdateProjectSettings, adapters)
    pause_project = use_case(PauseProject, adapters)
    resume_project = use_case(ResumeProject, adapters, adapters.plan_defaults)
    delete_project = use_case(DeleteProject, adapters)
    list_projects = use_case(ListProjects, adapters)
    get_project = use_case(GetProject, adapters)
    # The API's two list pages, read as read models (core/listings, ADR 0026).
    project_page = use_case(ListProjectPage, adapters)
    episode_page = use_case(ListEpisodePage, adapters)
    schedule_due_projects = use_case(ScheduleDueProjects, adapters, adapters.scheduler_gateway)
    # Identity's ``organization.deleted`` routes here: the tombstone and the projects stopped.
    delete_organization = use_case(DeleteOrganization, adapters)
    # Identity's organization settings show how much of the plan is used.
    count_active_projects = use_case(CountActiveProjects, adapters)
