"""Onboarding and chat over HTTP: 202 with a pending reply, the job, polling, retry,
the chat feature gate, the cost gate, bad input and other callers' sessions."""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import pytest
from dependency_injector import providers
from flask import Flask

from manyfutures.adapters.memory.local_assistant import LocalAssistant
from manyfutures.container import Container
from manyfutures.core.conversations.model import MessageStatus
from manyfutures.core.conversations.onboarding import OPENING_QUESTION
from manyfutures.core.conversations.ports import AssistantReply, ReplyUsage
from manyfutures.core.costs.model import Operation
from manyfutures.core.episodes.episode import Block
from manyfutures.entrypoints.http.app import create_app
from tests.support import builders as b
from tests.support.assistants import HeldReplyJobs, ScriptedAssistant
from tests.support.builders import T0
from tests.support.fakes import ManualClock
from tests.unit.http.conftest import Api, assert_problem, build_test_container, seed_tenants

ONBOARDING = "/v1/onboarding/sessions"
CHAT = "/v1/chat/sessions"


@pytest.fixture
def assistant() -> ScriptedAssistant:
    return ScriptedAssistant(LocalAssistant().reply)


@pytest.fixture
def container(clock: ManualClock, assistant: ScriptedAssistant) -> Iterator[Container]:
    container = build_test_container(clock=clock)
    container.conversations.assistant.override(providers.Object(assistant))
    jobs = HeldReplyJobs(container.conversations.produce_reply)
    container.conversations.reply_jobs.override(providers.Object(jobs))
    seed_tenants(container)
    yield container
    container.unwire()


@pytest.fixture
def jobs(container: Container) -> HeldReplyJobs:
    held = container.conversations.reply_jobs()
    assert isinstance(held, HeldReplyJobs)
    return held


@pytest.fixture
def app(container: Container) -> Flask:
    return create_app(container)


def start_onboarding(api: Api) -> dict[str, Any]:
    response = api.post(ONBOARDING)
    assert response.status_code == 201, response.get_json()
    body: dict[str, Any] = response.get_json()
    return body


def post(api: Api, session: str, content: str, base: str = ONBOARDING) -> Any:
    return api.post(f"{base}/{session}/messages", json={"content": content})


def enable_chat(api: Api) -> None:
    assert api.patch("/v1/organization", json={"enabledFeatures": ["chat"]}).status_code == 200


def chat_on_new_project(api: Api) -> tuple[str, str]:
    project = api.post("/v1/projects", json={"title": "Grid storage", "brief": "Batteries"})
    assert project.status_code == 201
    response = api.post(CHAT, json={"projectId": project.get_json()["id"]})
    assert response.status_code == 201, response.get_json()
    return project.get_json()["id"], response.get_json()["id"]


def actions(api: Api) -> list[str]:
    return [row["action"] for row in api.get("/v1/audit-log?limit=100").get_json()["items"]]


class TestOnboarding:
    def test_the_assistant_asks_then_proposes_and_completing_creates_the_project(
        self, api: Api, jobs: HeldReplyJobs
    ) -> None:
        session = start_onboarding(api)
        assert session["kind"] == "onboarding" and session["projectId"] is None
        assert [m["content"] for m in session["messages"]] == [OPENING_QUESTION]
        assert session["proposal"] is None

        posted = post(api, session["id"], "Lithium supply chains. Send it daily please")
        assert posted.status_code == 202
        assert posted.headers["Location"] == f"{ONBOARDING}/{session['id']}"
        body = posted.get_json()
        assert body["message"]["role"] == "user" and body["message"]["status"] == "completed"
        assert body["reply"]["status"] == "pending" and body["reply"]["content"] == ""
        pending = api.get(f"{ONBOARDING}/{session['id']}").get_json()
        assert [m["status"] for m in pending["messages"]] == ["completed", "completed", "pending"]

        assert jobs.run_all() == [MessageStatus.COMPLETED]
        polled = api.get(f"{ONBOARDING}/{session['id']}").get_json()
        assert polled["messages"][-1]["status"] == "completed"
        assert "Lithium supply chains" in polled["messages"][-1]["content"]
        assert polled["proposal"] == {
            "title": "Lithium supply chains",
            "brief": "Lithium supply chains. Send it daily please",
            "cadence": {"mode": "daily", "days": []},
        }

        done = api.post(f"{ONBOARDING}/{session['id']}/complete", json={"title": "Lithium"})
        assert done.status_code == 201, done.get_json()
        project = done.get_json()
        assert done.headers["Location"] == f"/v1/projects/{project['id']}"
        assert project["title"] == "Lithium"
        assert project["brief"] == "Lithium supply chains. Send it daily please"
        assert project["cadence"]["mode"] == "daily"
        completed = api.get(f"{ONBOARDING}/{session['id']}").get_json()
        assert completed["projectId"] == project["id"] and completed["completedAt"]
        assert {"onboarding.start", "chat_message.create", "onboarding.complete"} <= set(
            actions(api)
        )

    def test_completion_records_the_event_and_a_session_completes_once(
        self, api: Api, container: Container
    ) -> None:
        session = start_onboarding(api)
        body = {"title": "Ports", "brief": "Container shipping"}
        assert api.post(f"{ONBOARDING}/{session['id']}/complete", json=body).status_code == 201
        again = api.post(f"{ONBOARDING}/{session['id']}/complete", json=body)
        assert_problem(again, 409, "state-conflict")
        assert_problem(post(api, session["id"], "more"), 409, "state-conflict")
        with container.adapters.uow_factory()("org_a") as uow:
            assert len(uow.events.list("onboarding_complete")) == 1

    def test_without_a_proposal_the_title_and_brief_are_required(self, api: Api) -> None:
        session = start_onboarding(api)
        response = api.post(f"{ONBOARDING}/{session['id']}/complete", json={})
        body = assert_problem(response, 422, "validation-error")
        assert set(body["errors"]) == {"title", "brief"}
        assert api.get("/v1/projects").get_json()["items"] == []

    def test_completion_is_held_to_the_plans_active_project_limit(
        self, api: Api, container: Container
    ) -> None:
        for n in range(10):
            api.post("/v1/projects", json={"title": f"P{n}", "brief": "b"})
        session = start_onboarding(api)
        body = {"title": "One too many", "brief": "b"}
        response = api.post(f"{ONBOARDING}/{session['id']}/complete", json=body)
        assert_problem(response, 403, "plan-active-project-limit")
        assert api.get(f"{ONBOARDING}/{session['id']}").get_json()["completedAt"] is None


class TestMessages:
    @pytest.mark.parametrize("content", ["", "   \n\t", "x" * 4001])
    def test_empty_or_oversized_messages_are_refused_and_nothing_is_stored(
        self, api: Api, jobs: HeldReplyJobs, content: str
    ) -> None:
        session = start_onboarding(api)
        body = assert_problem(post(api, session["id"], content), 422, "validation-error")
        assert "content" in body["errors"]
        assert len(api.get(f"{ONBOARDING}/{session['id']}").get_json()["messages"]) == 1
        assert jobs.waiting == []

    def test_a_message_of_exactly_4000_characters_is_accepted(self, api: Api) -> None:
        session = start_onboarding(api)
        assert post(api, session["id"], "x" * 4000).status_code == 202

    def test_one_reply_at_a_time(self, api: Api, jobs: HeldReplyJobs) -> None:
        session = start_onboarding(api)
        assert post(api, session["id"], "Shipping").status_code == 202
        assert_problem(post(api, session["id"], "And ports"), 409, "state-conflict")
        jobs.run_all()
        assert post(api, session["id"], "And ports").status_code == 202

    def test_another_organizations_or_users_session_is_not_found(
        self, api: Api, member: Api, other_org: Api
    ) -> None:
        session = start_onboarding(api)
        for caller in (other_org, member):
            assert_problem(caller.get(f"{ONBOARDING}/{session['id']}"), 404, "not-found")
            assert_problem(post(caller, session["id"], "hi"), 404, "not-found")
            complete = caller.post(f"{ONBOARDING}/{session['id']}/complete", json={})
            assert_problem(complete, 404, "not-found")

    def test_a_refused_reservation_is_429_and_stores_nothing(
        self, api: Api, jobs: HeldReplyJobs
    ) -> None:
        # The reply's ceiling (0.10) does not fit under a 0.05 limit.
        response = api.patch("/v1/organization", json={"dailyCostLimitGbp": "0.05"})
        assert response.status_code == 200, response.get_json()
        session = start_onboarding(api)
        refused = post(api, session["id"], "Shipping")
        assert_problem(refused, 429, "daily-cost-limit-reached")
        assert refused.headers["Retry-After"]
        assert len(api.get(f"{ONBOARDING}/{session['id']}").get_json()["messages"]) == 1
        assert jobs.waiting == []
        assert "chat_message.create" not in actions(api)
        assert api.get("/v1/usage/today").get_json()["reservedGbp"] == "0.00"


class TestReplies:
    def test_a_failed_reply_is_marked_failed_and_a_retry_produces_it(
        self, api: Api, jobs: HeldReplyJobs, assistant: ScriptedAssistant
    ) -> None:
        session = start_onboarding(api)
        reply = post(api, session["id"], "Shipping").get_json()["reply"]
        assert api.get("/v1/usage/today").get_json()["reservedGbp"] == "0.10"
        assistant.fail = "the assistant did not answer in time"
        assert jobs.run_all() == [MessageStatus.FAILED]
        failed = api.get(f"{ONBOARDING}/{session['id']}").get_json()["messages"][-1]
        assert failed["status"] == "failed"
        assert failed["error"] == "the assistant did not answer in time"
        assert api.get("/v1/usage/today").get_json()["reservedGbp"] == "0.00"

        assistant.fail = None
        retry = api.post(f"{ONBOARDING}/{session['id']}/messages/{reply['id']}/retry")
        assert retry.status_code == 202
        assert retry.get_json()["status"] == "pending" and retry.get_json()["attempt"] == 2
        assert jobs.run_all() == [MessageStatus.COMPLETED]
        done = api.get(f"{ONBOARDING}/{session['id']}").get_json()["messages"][-1]
        assert done["status"] == "completed" and done["attempt"] == 2 and done["error"] is None
        assert "chat_message.retry" in actions(api)
        again = api.post(f"{ONBOARDING}/{session['id']}/messages/{reply['id']}/retry")
        assert_problem(again, 409, "state-conflict")

    def test_a_pending_reply_can_be_retried_only_past_its_deadline(
        self, api: Api, jobs: HeldReplyJobs, clock: ManualClock
    ) -> None:
        from datetime import timedelta

        session = start_onboarding(api)
        reply = post(api, session["id"], "Shipping").get_json()["reply"]
        path = f"{ONBOARDING}/{session['id']}/messages/{reply['id']}/retry"
        assert_problem(api.post(path), 409, "state-conflict")
        clock.advance(timedelta(seconds=120))
        assert api.post(path).status_code == 202
        # The lost attempt's job, run late, is not awaited; the new attempt's completes.
        assert jobs.run_all() == [None, MessageStatus.COMPLETED]
        assert api.get("/v1/usage/today").get_json()["reservedGbp"] == "0.00"

    def test_a_users_message_cannot_be_retried(self, api: Api, jobs: HeldReplyJobs) -> None:
        session = start_onboarding(api)
        message = post(api, session["id"], "Shipping").get_json()["message"]
        jobs.run_all()
        path = f"{ONBOARDING}/{session['id']}/messages/{message['id']}/retry"
        assert_problem(api.post(path), 409, "state-conflict")
        assert_problem(
            api.post(f"{ONBOARDING}/{session['id']}/messages/msg_999999/retry"), 404, "not-found"
        )


class TestChat:
    def test_chat_routes_answer_403_until_the_feature_is_on(self, api: Api) -> None:
        project = api.post("/v1/projects", json={"title": "Grid", "brief": "b"}).get_json()
        refused = api.post(CHAT, json={"projectId": project["id"]})
        body = assert_problem(refused, 403, "feature-not-enabled")
        assert "chat" in body["detail"]
        enable_chat(api)
        _, session = chat_on_new_project(api)
        api.patch("/v1/organization", json={"enabledFeatures": []})
        for response in (
            api.get(f"{CHAT}/{session}"),
            post(api, session, "hi", CHAT),
            api.post(f"{CHAT}/{session}/messages/msg_1/retry"),
        ):
            assert_problem(response, 403, "feature-not-enabled")

    def test_a_chat_reply_is_produced_by_the_job_with_the_projects_context(
        self, api: Api, jobs: HeldReplyJobs, assistant: ScriptedAssistant
    ) -> None:
        enable_chat(api)
        _, session = chat_on_new_project(api)
        posted = post(api, session, "What changed this week?", CHAT)
        assert posted.status_code == 202
        assert jobs.run_all() == [MessageStatus.COMPLETED]
        (request,) = assistant.requests
        assert request.context == "Grid storage\n\nBatteries"
        assert [t.content for t in request.turns] == ["What changed this week?"]
        messages = api.get(f"{CHAT}/{session}").get_json()["messages"]
        assert messages[-1]["content"].startswith("You asked: “What changed this week?”")
        assert {"chat_session.create", "chat_message.create"} <= set(actions(api))

    def test_a_chat_on_an_episode_reads_its_text_and_its_usage_is_recorded_as_chat(
        self, api: Api, jobs: HeldReplyJobs, assistant: ScriptedAssistant, container: Container
    ) -> None:
        enable_chat(api)
        project, _ = chat_on_new_project(api)
        with container.adapters.uow_factory()("org_a") as uow:
            uow.episodes.add(b.episode("ep_1", project, title="Sodium", summary="Cheaper cells"))
            uow.blocks.add(
                Block(
                    id="blk_1",
                    episode_id="ep_1",
                    organization_id="org_a",
                    content="Sodium-ion is shipping.",
                    created_at=T0,
                    updated_at=T0,
                )
            )
            uow.commit()
        session = api.post(CHAT, json={"projectId": project, "episodeId": "ep_1"}).get_json()
        assert session["episodeId"] == "ep_1"
        post(api, session["id"], "Is it real?", CHAT)
        assistant.fallback = lambda request: AssistantReply(
            "Yes", (ReplyUsage("gpt-4o-mini", 1000, 200, None),)
        )
        assert jobs.run_all() == [MessageStatus.COMPLETED]
        assert (
            assistant.requests[-1].context == "Sodium\n\nCheaper cells\n\nSodium-ion is shipping."
        )
        with container.adapters.uow_factory()("org_a") as uow:
            daily = uow.token_usage.daily(T0.date())
        assert daily is not None
        assert daily.operation_breakdown[Operation.CHAT].tokens == 1200
        assert daily.operation_breakdown[Operation.CHAT].cost_gbp > 0  # priced from the table
        usage = api.get("/v1/usage/today").get_json()
        assert usage["reservedGbp"] == "0.00" and usage["spentGbp"] != "0.00"

    def test_chat_on_another_organizations_project_or_a_foreign_episode_is_not_found(
        self, api: Api, other_org: Api
    ) -> None:
        enable_chat(api)
        project, session = chat_on_new_project(api)
        other = api.post("/v1/projects", json={"title": "Other", "brief": "b"}).get_json()
        other_org.patch("/v1/organization", json={"enabledFeatures": ["chat"]})
        assert_problem(other_org.post(CHAT, json={"projectId": project}), 404, "not-found")
        assert_problem(other_org.get(f"{CHAT}/{session}"), 404, "not-found")
        assert_problem(post(other_org, session, "hi", CHAT), 404, "not-found")
        wrong = api.post(CHAT, json={"projectId": other["id"], "episodeId": "ep_999999"})
        assert_problem(wrong, 404, "not-found")

    def test_an_onboarding_session_is_not_a_chat_session(self, api: Api) -> None:
        enable_chat(api)
        session = start_onboarding(api)
        assert_problem(api.get(f"{CHAT}/{session['id']}"), 404, "not-found")


def test_in_memory_mode_a_thread_produces_the_reply_while_the_client_polls() -> None:
    """The production wiring of `manyfutures run`: the local assistant on a thread pool."""
    container = build_test_container()
    seed_tenants(container)
    try:
        api = Api(create_app(container).test_client())
        session = start_onboarding(api)
        assert post(api, session["id"], "Ports and shipping").status_code == 202
        deadline = time.monotonic() + 10
        while (reply := api.get(f"{ONBOARDING}/{session['id']}").get_json()["messages"][-1])[
            "status"
        ] == "pending":
            assert time.monotonic() < deadline, "the reply job never ran"
            time.sleep(0.01)
        assert reply["status"] == "completed"
        assert "Ports and shipping" in reply["content"]
    finally:
        container.unwire()
