"""The reader's project pages: the list, a new project, a project's settings.

The same use cases and the same validation as /v1/projects (forms.py); pause, resume
and settings changes carry the version the page was rendered from, the form's
If-Match, so a change made meanwhile elsewhere is reported, not overwritten.
"""

from __future__ import annotations

import functools
from typing import Any
from zoneinfo import available_timezones

from dependency_injector.wiring import Provide, inject
from flask import Blueprint, flash, render_template, request, url_for
from flask.typing import ResponseReturnValue
from werkzeug.datastructures import MultiDict

from manyfutures.container import Container
from manyfutures.core.projects.cadence import Cadence, CadenceMode
from manyfutures.core.projects.model import MAX_BRIEF_LENGTH, MAX_TITLE_LENGTH, Project
from manyfutures.core.projects.use_cases import (
    CreateProject,
    CreateProjectCommand,
    GetProject,
    ListProjects,
    ListProjectsQuery,
    PauseProject,
    ProjectCommand,
    ResumeProject,
    UpdateProjectSettings,
    UpdateProjectSettingsCommand,
)
from manyfutures.core.shared.errors import ValidationError, VersionConflictError
from manyfutures.entrypoints.console.forms import (
    FORM,
    FieldErrors,
    FormInvalidError,
    form_errors,
    load,
    project_body,
)
from manyfutures.entrypoints.console.guard import current_console_user
from manyfutures.entrypoints.console.redirects import go_to
from manyfutures.entrypoints.http.schemas import (
    PageQuerySchema,
    ProjectCreateSchema,
    ProjectUpdateSchema,
)

blueprint = Blueprint("projects", __name__)

DAY_NAMES = ("Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday")
# Monday first, as the picker shows them; values stay the API's (0 = Sunday).
PICKER_DAYS = (1, 2, 3, 4, 5, 6, 0)
PAGE_SIZE = 25
NEW_PROJECT_DEFAULTS = MultiDict(
    [("cadence_mode", "weekly"), ("days", "1"), ("delivery_time", "09:00")]
)


@blueprint.get("/")
def home() -> ResponseReturnValue:
    return go_to(url_for("console.projects.list_projects"))


@blueprint.get("/projects")
@inject
def list_projects(
    use_case: ListProjects = Provide[Container.projects.list_projects],
) -> ResponseReturnValue:
    query = load(PageQuerySchema, {"limit": PAGE_SIZE, **request.args.to_dict()})
    projects = use_case(
        ListProjectsQuery(current_console_user().actor, query["limit"], query["cursor"])
    )
    next_cursor = projects[-1].id if len(projects) == query["limit"] else None
    return render_template(
        "console/projects/list.html",
        projects=projects,
        next_cursor=next_cursor,
        describe=describe_cadence,
    )


@blueprint.get("/projects/new")
def new_project() -> ResponseReturnValue:
    return _project_form("console/projects/new.html", NEW_PROJECT_DEFAULTS, {})


@blueprint.post("/projects/new")
@inject
def create_project(
    use_case: CreateProject = Provide[Container.projects.create_project],
) -> ResponseReturnValue:
    try:
        body = load(ProjectCreateSchema, project_body(request.form))
        cadence = body.get("cadence")
        project = use_case(
            CreateProjectCommand(
                actor=current_console_user().actor,
                title=body["title"],
                brief=body["brief"],
                delivery_time=body.get("delivery_time"),
                timezone=body.get("timezone"),
                **_cadence_arguments(cadence),
            )
        )
    except (FormInvalidError, ValidationError) as error:
        return _project_form("console/projects/new.html", request.form, form_errors(error), 422)
    flash(f"Project “{project.title}” created.", "success")
    return go_to(url_for("console.projects.list_projects"))


@blueprint.get("/projects/<project_id>/settings")
@inject
def project_settings(
    project_id: str, use_case: GetProject = Provide[Container.projects.get_project]
) -> ResponseReturnValue:
    project = use_case(ProjectCommand(current_console_user().actor, project_id))
    return _settings_page(project, _settings_values(project), {})


@blueprint.post("/projects/<project_id>/settings")
@inject
def update_settings(
    project_id: str,
    get_project: GetProject = Provide[Container.projects.get_project],
    use_case: UpdateProjectSettings = Provide[Container.projects.update_project_settings],
) -> ResponseReturnValue:
    actor = current_console_user().actor
    try:
        body = load(ProjectUpdateSchema, project_body(request.form))
        project = use_case(
            UpdateProjectSettingsCommand(
                actor=actor,
                project_id=project_id,
                expected_version=_form_version(),
                delivery_time=body.get("delivery_time"),
                timezone=body.get("timezone"),
                **_cadence_arguments(body.get("cadence"), keep_when_absent=True),
            )
        )
    except (FormInvalidError, ValidationError, VersionConflictError) as error:
        # Only a refused form reads the project again, to show it beside the errors.
        project = get_project(ProjectCommand(actor, project_id))
        return _settings_page(project, request.form, _errors_of(error), _status_of(error))
    flash("Settings saved.", "success")
    return go_to(url_for("console.projects.project_settings", project_id=project.id))


@blueprint.post("/projects/<project_id>/pause")
@inject
def pause_project(
    project_id: str, use_case: PauseProject = Provide[Container.projects.pause_project]
) -> ResponseReturnValue:
    project = use_case(ProjectCommand(current_console_user().actor, project_id, _form_version()))
    flash(f"“{project.title}” is paused: no deliveries until you resume it.", "success")
    return go_to(url_for("console.projects.project_settings", project_id=project.id))


@blueprint.post("/projects/<project_id>/resume")
@inject
def resume_project(
    project_id: str, use_case: ResumeProject = Provide[Container.projects.resume_project]
) -> ResponseReturnValue:
    project = use_case(ProjectCommand(current_console_user().actor, project_id, _form_version()))
    flash(f"“{project.title}” is active again from its next delivery.", "success")
    return go_to(url_for("console.projects.project_settings", project_id=project.id))


def describe_cadence(cadence: Cadence) -> str:
    at = f"at {cadence.delivery_time:%H:%M} ({cadence.timezone})"
    if cadence.mode is CadenceMode.DAILY:
        return f"Every day {at}"
    if cadence.mode is CadenceMode.WEEKDAYS:
        return f"Weekdays {at}"
    days = ", ".join(DAY_NAMES[day] for day in cadence.days)
    return f"Every {days} {at}" if cadence.mode is CadenceMode.WEEKLY else f"{days} {at}"


def _cadence_arguments(
    cadence: dict[str, Any] | None, keep_when_absent: bool = False
) -> dict[str, Any]:
    if cadence is None:
        return {} if not keep_when_absent else {"cadence_mode": None, "days": None}
    return {"cadence_mode": cadence["mode"].value, "days": tuple(cadence["days"])}


def _form_version() -> int | None:
    version = request.form.get("version", "")
    return int(version) if version.isdigit() else None


def _errors_of(error: Exception) -> FieldErrors:
    if isinstance(error, FormInvalidError | ValidationError):
        return form_errors(error)
    return {
        FORM: [
            "This project was changed elsewhere since you opened this page: "
            "check its settings below and save again."
        ]
    }


def _status_of(error: Exception) -> int:
    return 409 if isinstance(error, VersionConflictError) else 422


def _settings_values(project: Project) -> MultiDict[str, str]:
    cadence = project.cadence
    values = MultiDict(
        [
            ("cadence_mode", cadence.mode.value),
            ("delivery_time", f"{cadence.delivery_time:%H:%M}"),
            ("timezone", cadence.timezone),
        ]
    )
    for day in cadence.days:
        values.add("days", str(day))
    return values


def _settings_page(
    project: Project, values: MultiDict[str, str], errors: FieldErrors, status: int = 200
) -> ResponseReturnValue:
    return _project_form(
        "console/projects/settings.html",
        values,
        errors,
        status,
        project=project,
        describe=describe_cadence,
    )


def _project_form(
    template: str,
    values: MultiDict[str, str],
    errors: FieldErrors,
    status: int = 200,
    **context: Any,
) -> ResponseReturnValue:
    page = render_template(
        template,
        values=values,
        errors=errors,
        modes=[mode.value for mode in CadenceMode],
        days=[(day, DAY_NAMES[day]) for day in PICKER_DAYS],
        timezones=time_zone_names(),
        max_title=MAX_TITLE_LENGTH,
        max_brief=MAX_BRIEF_LENGTH,
        **context,
    )
    return page, status


@functools.cache
def time_zone_names() -> tuple[str, ...]:
    """For the time-zone input's suggestions; read from the tzdata package once."""
    return tuple(sorted(available_timezones()))
