"""No secret reaches a log line, over a whole pipeline run with every log level on.

The API runs under a real HTTP server, n8n is a real HTTP server calling back with the
run's token and an HMAC signature, the reader's email goes to a real SMTP server over
STARTTLS with a login, a Clerk webhook arrives signed (and once tampered with), a
caller sends a session token, and callbacks arrive duplicated, with a wrong token and
a wrong signature. Every line every logger writes (DEBUG, JSON, as production
formats them) is captured and searched for each secret's value.
"""

from __future__ import annotations

import io
import logging
from collections.abc import Iterator
from typing import Any

import pytest
from aiosmtpd.smtp import AuthResult, LoginPassword

from manyfutures.adapters.email.smtp import SmtpEmailSender
from manyfutures.adapters.email.smtp_url import parse_smtp_url
from manyfutures.entrypoints.logs import configure_logging
from manyfutures.settings import Settings
from tests.integration.n8n.test_pipeline import (
    HEADER_VALUE,
    SECRET,
    Pipeline,
    completed,
    progress,
    running,
)
from tests.support.n8n_standin import ReceivedJob
from tests.support.smtp_server import SENDER, RecordingHandler, smtp_server
from tests.support.tls import Certificates
from tests.unit.http.conftest import WEBHOOK_SECRET
from tests.unit.http.test_clerk_webhooks import deliver, user_event

pytestmark = pytest.mark.integration

SMTP_PASSWORD = "smtp-Pa55:w/rd@%"
SMTP_LOGIN = "briefs%40manyfutures.example:smtp-Pa55%3Aw%2Frd%40%25"
SESSION_TOKEN = "sess-eyJhbGciOiJSUzI1NiJ9.session-token-value"


class _Account:
    def __call__(
        self, server: object, session: object, envelope: object, mechanism: str, data: object
    ) -> AuthResult:
        ok = isinstance(data, LoginPassword) and data.password == SMTP_PASSWORD.encode()
        return AuthResult(success=ok, handled=False)


@pytest.fixture(params=["memory", "postgres"])
def pipeline(request: pytest.FixtureRequest) -> Iterator[Pipeline]:
    with running(request, SECRET) as pipeline:
        yield pipeline


@pytest.fixture
def logs() -> Iterator[io.StringIO]:
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    buffer = io.StringIO()
    configure_logging(Settings(log_level="DEBUG"), "serve", buffer)
    yield buffer
    root.handlers[:] = handlers
    root.setLevel(level)


def test_no_secret_is_ever_logged(
    pipeline: Pipeline, logs: io.StringIO, certificates: Certificates
) -> None:
    handler = RecordingHandler()
    accounts: dict[str, Any] = {"authenticator": _Account(), "auth_require_tls": True}
    with smtp_server(handler, **certificates.starttls(), **accounts) as port:
        sender = SmtpEmailSender(
            parse_smtp_url(f"smtp://{SMTP_LOGIN}@127.0.0.1:{port}"),
            SENDER,
            timeout_seconds=5,
            tls=certificates.client,
        )
        pipeline.deployment.container.adapters.email_sender.override(sender)

        def workflow(job: ReceivedJob) -> None:
            pipeline.call_back(job, progress("research", 10), SECRET)
            pipeline.call_back(job, progress("research", 10), SECRET)  # duplicated
            pipeline.call_back(job, progress("writing", 50), "not-the-secret")  # bad signature
            wrong = {**job.body, "callback": {**job.body["callback"], "token": "wrong-token"}}
            pipeline.call_back(
                ReceivedJob(job.path, job.headers, wrong, job.client),
                progress("review", 80),
                SECRET,
            )
            pipeline.call_back(job, completed(), SECRET)

        pipeline.n8n.on_job = workflow
        api = pipeline.deployment.api
        episode_id = pipeline.request_episode()
        api.get(
            "/v1/projects",
            headers={
                "Authorization": f"Bearer {SESSION_TOKEN}",
                "Cookie": f"__session={SESSION_TOKEN}",
            },
        )
        deliver(api.client, user_event(), "msg_secret_1")
        deliver(api.client, user_event(), "msg_secret_2", tamper=True)
        assert pipeline.tick_and_work() == 1
        pipeline.n8n.wait_for_scripts()
        assert pipeline.episode(episode_id)["status"] == "PUBLISHED"
        assert pipeline.deployment.container.outbox.dispatch_outbox()().sent == 1
        assert len(handler.received) == 1

    text = logs.getvalue()
    (job,) = pipeline.n8n.jobs
    secrets = {
        "callback token": job.body["callback"]["token"],
        "n8n callback secret": SECRET,
        "n8n webhook header value": HEADER_VALUE,
        "SMTP password": SMTP_PASSWORD,
        "SMTP password, percent-encoded": SMTP_LOGIN.split(":", 1)[1],
        "Clerk webhook secret": WEBHOOK_SECRET.removeprefix("whsec_"),
        "session token": SESSION_TOKEN,
    }
    assert len(text.splitlines()) > 10  # the run did log, at every level
    assert "briefs%40manyfutures.example@127.0.0.1" in text  # the SMTP path logged its URL
    for name, secret in secrets.items():
        assert secret not in text, f"the {name} appears in the logs"
