"""The reader's episode pages: a project's episodes with "generate now" and live status,
the episode reader, retrying a failed episode, and steering the next one.

Live status is htmx polling a small fragment (``_status.html``): an episode still being
written asks for its status again every ``POLL_SECONDS``, and the fragment of a
published or failed episode carries no trigger, so polling stops by itself. The paths
of the reader and retry pages are the ones notifications and emails link to
(core/shared/app_pages.py).
"""

from __future__ import annotations

from datetime import datetime

from dependency_injector.wiring import Provide, inject
from flask import Blueprint, flash, render_template, request, url_for
from flask.typing import ResponseReturnValue
from werkzeug.wrappers import Response

from manyfutures.container import Container
from manyfutures.core.costs.budget import DailyCostLimitReachedError
from manyfutures.core.episodes.episode import Episode, EpisodeStatus
from manyfutures.core.feedback.highlight import MAX_HIGHLIGHT_NOTE_LENGTH
from manyfutures.core.feedback.highlights import (
    DeleteHighlight,
    DeleteHighlightCommand,
    HighlightQuote,
    HighlightQuoteCommand,
)
from manyfutures.core.feedback.model import MAX_NOTE_LENGTH
from manyfutures.core.feedback.use_cases import AddPlanningNote, AddPlanningNoteCommand
from manyfutures.core.generation.reading import (
    EpisodeReading,
    ListProjectEpisodes,
    ProjectEpisodes,
    ProjectEpisodesQuery,
    ReadEpisode,
    ReadEpisodeQuery,
)
from manyfutures.core.generation.use_cases import (
    EpisodeCommand,
    GetEpisodeStatus,
    RequestEpisodeCommand,
    RequestEpisodeNow,
    RetryEpisode,
)
from manyfutures.core.shared.errors import ValidationError
from manyfutures.core.shared.ports import Clock
from manyfutures.entrypoints.console.forms import FieldErrors, domain_errors
from manyfutures.entrypoints.console.guard import current_console_user
from manyfutures.entrypoints.console.markdown import outbound_url, render_markdown
from manyfutures.entrypoints.console.redirects import go_to

blueprint = Blueprint("episodes", __name__)
blueprint.add_app_template_filter(render_markdown, "markdown")
blueprint.add_app_template_filter(outbound_url, "outbound_url")

# How often a page asks again about an episode being written, and about a draft whose
# slot is still to come (it starts on its own when due).
POLL_SECONDS = 1
SCHEDULED_POLL_SECONDS = 30
PAGE_SIZE = 20


@blueprint.get("/projects/<project_id>/episodes")
@inject
def project_episodes(
    project_id: str,
    use_case: ListProjectEpisodes = Provide[Container.generation.list_project_episodes],
    clock: Clock = Provide[Container.adapters.clock],
) -> ResponseReturnValue:
    page = use_case(ProjectEpisodesQuery(current_console_user().actor, project_id, PAGE_SIZE))
    return _episodes_page(page, clock.now())


@blueprint.post("/projects/<project_id>/episodes")
@inject
def generate_now(
    project_id: str,
    use_case: RequestEpisodeNow = Provide[Container.generation.request_episode_now],
    list_episodes: ListProjectEpisodes = Provide[Container.generation.list_project_episodes],
    clock: Clock = Provide[Container.adapters.clock],
) -> ResponseReturnValue:
    actor = current_console_user().actor
    try:
        use_case(RequestEpisodeCommand(actor, project_id))
    except DailyCostLimitReachedError as refused:
        # Only a refusal reads the project again, to show the page with the reason.
        page = list_episodes(ProjectEpisodesQuery(actor, project_id, PAGE_SIZE))
        return _episodes_page(page, clock.now(), refused, 429)
    flash("A new episode is queued: watch it being written below.", "success")
    return go_to(url_for("console.episodes.project_episodes", project_id=project_id))


@blueprint.get("/episodes/<episode_id>/status")
@inject
def episode_status(
    episode_id: str,
    use_case: GetEpisodeStatus = Provide[Container.generation.get_episode_status],
    clock: Clock = Provide[Container.adapters.clock],
) -> ResponseReturnValue:
    episode = use_case(EpisodeCommand(current_console_user().actor, episode_id))
    fragment = render_template("console/episodes/_status.html", **_status(episode, clock.now()))
    return fragment, 200, {"Cache-Control": "no-store"}


@blueprint.get("/episodes/<episode_id>")
@inject
def read_episode(
    episode_id: str,
    use_case: ReadEpisode = Provide[Container.generation.read_episode],
    clock: Clock = Provide[Container.adapters.clock],
) -> ResponseReturnValue:
    reading = use_case(ReadEpisodeQuery(current_console_user().actor, episode_id))
    return _reader_page(reading, clock.now())


@blueprint.get("/episodes/<episode_id>/retry")
@inject
def retry_page(
    episode_id: str,
    use_case: GetEpisodeStatus = Provide[Container.generation.get_episode_status],
    clock: Clock = Provide[Container.adapters.clock],
) -> ResponseReturnValue:
    """Where a "generation failed" email links: the error and the retry button (a link is
    a GET, and retrying spends, so the reader confirms it here)."""
    episode = use_case(EpisodeCommand(current_console_user().actor, episode_id))
    return render_template("console/episodes/retry.html", **_status(episode, clock.now()))


@blueprint.post("/episodes/<episode_id>/retry")
@inject
def retry_episode(
    episode_id: str,
    use_case: RetryEpisode = Provide[Container.generation.retry_episode],
    get_status: GetEpisodeStatus = Provide[Container.generation.get_episode_status],
    clock: Clock = Provide[Container.adapters.clock],
) -> ResponseReturnValue:
    actor = current_console_user().actor
    try:
        episode = use_case(EpisodeCommand(actor, episode_id))
    except DailyCostLimitReachedError as refused:
        episode = get_status(EpisodeCommand(actor, episode_id))
        page = render_template(
            "console/episodes/retry.html", refused=refused, **_status(episode, clock.now())
        )
        return page, 429
    flash("Retrying: the episode is queued again.", "success")
    return go_to(url_for("console.episodes.project_episodes", project_id=episode.project_id))


@blueprint.post("/projects/<project_id>/planning-notes")
@inject
def add_planning_note(
    project_id: str,
    use_case: AddPlanningNote = Provide[Container.feedback.add_planning_note],
    read: ReadEpisode = Provide[Container.generation.read_episode],
    clock: Clock = Provide[Container.adapters.clock],
) -> ResponseReturnValue:
    """The reader page's "steer the next episode" box; back to that episode after."""
    actor = current_console_user().actor
    episode_id = request.form.get("episode_id", "")
    try:
        use_case(AddPlanningNoteCommand(actor, project_id, request.form.get("note", "")))
    except ValidationError as error:
        reading = read(ReadEpisodeQuery(actor, episode_id, opening=False))
        return _reader_page(reading, clock.now(), note_errors=domain_errors(error), status=422)
    return _back_to_reading(
        "Noted: your note will steer the project's next episode.", episode_id, project_id
    )


@blueprint.post("/episodes/<episode_id>/highlights")
@inject
def add_highlight(
    episode_id: str,
    use_case: HighlightQuote = Provide[Container.feedback.highlight_quote],
    read: ReadEpisode = Provide[Container.generation.read_episode],
    clock: Clock = Provide[Container.adapters.clock],
) -> ResponseReturnValue:
    """A passage the reader copied from the episode: the API's offsets, found for them."""
    actor = current_console_user().actor
    quote = HighlightQuoteCommand(
        actor, episode_id, request.form.get("text", "").strip(), request.form.get("note")
    )
    try:
        use_case(quote)
    except ValidationError as error:
        reading = read(ReadEpisodeQuery(actor, episode_id, opening=False))
        return _reader_page(reading, clock.now(), highlight_errors=domain_errors(error), status=422)
    return _back_to_reading("Highlighted.", episode_id)


@blueprint.post("/highlights/<highlight_id>/delete")
@inject
def delete_highlight(
    highlight_id: str,
    use_case: DeleteHighlight = Provide[Container.feedback.delete_highlight],
) -> ResponseReturnValue:
    use_case(DeleteHighlightCommand(current_console_user().actor, highlight_id))
    return _back_to_reading("Highlight removed.", request.form.get("episode_id", ""))


def _back_to_reading(message: str, episode_id: str, project_id: str | None = None) -> Response:
    """Said, then back to the episode the form was on; a form that named none (not one
    of the reader page's) goes to the project's episodes, or to the projects."""
    flash(message, "success")
    if episode_id:
        return go_to(url_for("console.episodes.read_episode", episode_id=episode_id))
    if project_id:
        return go_to(url_for("console.episodes.project_episodes", project_id=project_id))
    return go_to(url_for("console.projects.list_projects"))


def _status(episode: Episode, now: datetime) -> dict[str, object]:
    """What the status fragment shows, and whether (and how often) it asks again."""
    scheduled = episode.status is EpisodeStatus.DRAFT and episode.scheduled_for > now
    final = episode.status in (EpisodeStatus.PUBLISHED, EpisodeStatus.FAILED)
    return {
        "episode": episode,
        "scheduled": scheduled,
        "poll_seconds": None if final else (SCHEDULED_POLL_SECONDS if scheduled else POLL_SECONDS),
    }


def _episodes_page(
    page: ProjectEpisodes,
    now: datetime,
    refused: DailyCostLimitReachedError | None = None,
    status: int = 200,
) -> ResponseReturnValue:
    return (
        render_template(
            "console/episodes/list.html",
            project=page.project,
            episodes=[_status(episode, now) for episode in page.episodes],
            refused=refused,
        ),
        status,
    )


def _reader_page(
    reading: EpisodeReading,
    now: datetime,
    note_errors: FieldErrors | None = None,
    highlight_errors: FieldErrors | None = None,
    status: int = 200,
) -> ResponseReturnValue:
    return (
        render_template(
            "console/episodes/read.html",
            reading=reading,
            values=request.form,
            note_errors=note_errors or {},
            highlight_errors=highlight_errors or {},
            max_note=MAX_NOTE_LENGTH,
            max_highlight_note=MAX_HIGHLIGHT_NOTE_LENGTH,
            **_status(reading.episode, now),
        ),
        status,
    )
