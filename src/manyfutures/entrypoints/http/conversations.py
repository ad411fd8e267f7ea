"""The assistant's routes: onboarding a new project, and chat about a project or episode.

Posting a message answers 202 at once with the stored message and a pending reply; a
job produces the reply, and the client polls the session until the reply is
``completed`` or ``failed`` (a failed one can be retried). Chat needs the organization's
``chat`` feature (403 /problems/feature-not-enabled until an admin enables it).
"""

from __future__ import annotations

from dependency_injector.wiring import Provide, inject
from flask import Blueprint, Response

from manyfutures.container import Container
from manyfutures.core.conversations.model import ConversationKind
from manyfutures.core.conversations.onboarding import (
    CompleteOnboarding,
    CompleteOnboardingCommand,
    StartOnboarding,
)
from manyfutures.core.conversations.sessions import (
    GetTranscript,
    PostMessage,
    PostMessageCommand,
    RetryReply,
    RetryReplyCommand,
    SessionQuery,
    StartChat,
    StartChatCommand,
)
from manyfutures.entrypoints.http.auth import current_actor
from manyfutures.entrypoints.http.conversation_schemas import (
    ChatSessionCreateSchema,
    MessageCreateSchema,
    MessageSchema,
    OnboardingCompleteSchema,
    PostedMessageSchema,
    SessionSchema,
)
from manyfutures.entrypoints.http.openapi import operation
from manyfutures.entrypoints.http.requests import json_body
from manyfutures.entrypoints.http.responses import json_response, project_response
from manyfutures.entrypoints.http.schemas import ProjectSchema

blueprint = Blueprint("conversations", __name__)
ONBOARDING = "Onboarding"
CHAT = "Chat"
PATHS = {
    ConversationKind.ONBOARDING: "/v1/onboarding/sessions",
    ConversationKind.CHAT: "/v1/chat/sessions",
}


def _located(response: Response, kind: ConversationKind, session_id: str) -> Response:
    response.headers["Location"] = f"{PATHS[kind]}/{session_id}"
    return response


def _post(use_case: PostMessage, kind: ConversationKind, session_id: str) -> Response:
    body = json_body(MessageCreateSchema)
    posted = use_case(PostMessageCommand(current_actor(), kind, session_id, body["content"]))
    return _located(json_response(PostedMessageSchema, posted, 202), kind, session_id)


def _retry(
    use_case: RetryReply, kind: ConversationKind, session_id: str, message_id: str
) -> Response:
    reply = use_case(RetryReplyCommand(current_actor(), kind, session_id, message_id))
    return _located(json_response(MessageSchema, reply, 202), kind, session_id)


def _get(use_case: GetTranscript, kind: ConversationKind, session_id: str) -> Response:
    transcript = use_case(SessionQuery(current_actor(), kind, session_id))
    return json_response(SessionSchema, transcript)


# --- Onboarding ---------------------------------------------------------------------------


@blueprint.post("/onboarding/sessions")
@operation(
    ONBOARDING,
    "Start onboarding: the assistant asks about your topic",
    responses={201: SessionSchema},
)
@inject
def start_onboarding(
    use_case: StartOnboarding = Provide[Container.conversations.start_onboarding],
) -> Response:
    transcript = use_case(current_actor())
    response = json_response(SessionSchema, transcript, 201)
    return _located(response, ConversationKind.ONBOARDING, transcript.conversation.id)


@blueprint.get("/onboarding/sessions/<session_id>")
@operation(
    ONBOARDING,
    "Read an onboarding session: its messages and the proposal (poll it)",
    responses={200: SessionSchema},
)
@inject
def get_onboarding(
    session_id: str, use_case: GetTranscript = Provide[Container.conversations.get_transcript]
) -> Response:
    return _get(use_case, ConversationKind.ONBOARDING, session_id)


@blueprint.post("/onboarding/sessions/<session_id>/messages")
@operation(
    ONBOARDING,
    "Answer the assistant; its reply is produced asynchronously (202, poll the session)",
    body=MessageCreateSchema,
    responses={202: PostedMessageSchema},
)
@inject
def post_onboarding_message(
    session_id: str, use_case: PostMessage = Provide[Container.conversations.post_message]
) -> Response:
    return _post(use_case, ConversationKind.ONBOARDING, session_id)


@blueprint.post("/onboarding/sessions/<session_id>/messages/<message_id>/retry")
@operation(
    ONBOARDING,
    "Retry a failed reply (or one pending past its deadline)",
    responses={202: MessageSchema},
)
@inject
def retry_onboarding_reply(
    session_id: str,
    message_id: str,
    use_case: RetryReply = Provide[Container.conversations.retry_reply],
) -> Response:
    return _retry(use_case, ConversationKind.ONBOARDING, session_id, message_id)


@blueprint.post("/onboarding/sessions/<session_id>/complete")
@operation(
    ONBOARDING,
    "Create the project from the proposal, with any fields you send instead",
    body=OnboardingCompleteSchema,
    responses={201: ProjectSchema},
    etag=True,
)
@inject
def complete_onboarding(
    session_id: str,
    use_case: CompleteOnboarding = Provide[Container.conversations.complete_onboarding],
) -> Response:
    body = json_body(OnboardingCompleteSchema)
    cadence = body.get("cadence")
    project = use_case(
        CompleteOnboardingCommand(
            actor=current_actor(),
            session_id=session_id,
            title=body.get("title"),
            brief=body.get("brief"),
            cadence_mode=cadence["mode"].value if cadence else None,
            days=tuple(cadence["days"]) if cadence else None,
            delivery_time=body.get("delivery_time"),
            timezone=body.get("timezone"),
        )
    )
    response = project_response(project, 201)
    response.headers["Location"] = f"/v1/projects/{project.id}"
    return response


# --- Chat ---------------------------------------------------------------------------------


@blueprint.post("/chat/sessions")
@operation(
    CHAT,
    "Start a chat about a project or one of its episodes",
    body=ChatSessionCreateSchema,
    responses={201: SessionSchema},
)
@inject
def start_chat(use_case: StartChat = Provide[Container.conversations.start_chat]) -> Response:
    body = json_body(ChatSessionCreateSchema)
    transcript = use_case(
        StartChatCommand(current_actor(), body["project_id"], body.get("episode_id"))
    )
    response = json_response(SessionSchema, transcript, 201)
    return _located(response, ConversationKind.CHAT, transcript.conversation.id)


@blueprint.get("/chat/sessions/<session_id>")
@operation(
    CHAT,
    "Read a chat session and its messages (poll it for pending replies)",
    responses={200: SessionSchema},
)
@inject
def get_chat(
    session_id: str, use_case: GetTranscript = Provide[Container.conversations.get_transcript]
) -> Response:
    return _get(use_case, ConversationKind.CHAT, session_id)


@blueprint.post("/chat/sessions/<session_id>/messages")
@operation(
    CHAT,
    "Ask the assistant; its reply is produced asynchronously (202, poll the session)",
    body=MessageCreateSchema,
    responses={202: PostedMessageSchema},
)
@inject
def post_chat_message(
    session_id: str, use_case: PostMessage = Provide[Container.conversations.post_message]
) -> Response:
    return _post(use_case, ConversationKind.CHAT, session_id)


@blueprint.post("/chat/sessions/<session_id>/messages/<message_id>/retry")
@operation(
    CHAT, "Retry a failed reply (or one pending past its deadline)", responses={202: MessageSchema}
)
@inject
def retry_chat_reply(
    session_id: str,
    message_id: str,
    use_case: RetryReply = Provide[Container.conversations.retry_reply],
) -> Response:
    return _retry(use_case, ConversationKind.CHAT, session_id, message_id)
