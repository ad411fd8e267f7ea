"""Production's mail: the scheduler queues delivery jobs on the ``outbox`` queue, a worker
runs them, and the published episode's email reaches a real SMTP server."""

from __future__ import annotations

from datetime import timedelta

import pytest
from rq import Queue, Worker
from rq.registry import FinishedJobRegistry

from manyfutures.adapters.rq.outbox import RqDeliveryJobs
from manyfutures.composition.outbox import DELIVER_OUTBOX_JOB
from manyfutures.core.outbox.model import OutboxStatus
from manyfutures.core.projects.use_cases import CreateProjectCommand
from tests.integration.pipeline.conftest import Pipeline, eventually
from tests.support.smtp_server import SENDER, RecordingHandler, smtp_server
from tests.support.tls import Certificates

pytestmark = pytest.mark.integration


APP_URL = "https://app.manyfutures.example"


def smtp_settings(port: int) -> dict[str, str]:
    return {
        "MANYFUTURES_EMAIL": "smtp",
        "MANYFUTURES_PUBLIC_URL": "https://api.manyfutures.example",
        "MANYFUTURES_APP_URL": APP_URL,
        "MANYFUTURES_SMTP_URL": f"smtp://127.0.0.1:{port}",
        "MANYFUTURES_SMTP_FROM": SENDER,
        "MANYFUTURES_OUTBOX_POLL_SECONDS": "0.1",
    }


def test_a_published_episodes_email_is_delivered_by_a_job_on_the_outbox_queue(
    pipeline: Pipeline, certificates: Certificates, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The worker verifies the server's STARTTLS certificate against the test CA, named by
    # OpenSSL's own variable in the environment it inherits.
    monkeypatch.setenv("SSL_CERT_FILE", str(certificates.ca_file))
    server = RecordingHandler()
    with smtp_server(server, **certificates.starttls()) as port:
        settings = smtp_settings(port)
        container = pipeline.container(**settings)
        alice = pipeline.member(container, "org_a", "user_alice")
        container.projects.create_project()(
            CreateProjectCommand(alice, "Energy", "Grid", deliver_first_now=True)
        )
        connection = pipeline.redis()
        pipeline.start("worker", **settings)
        eventually(lambda: len(Worker.all(connection=connection)) == 1, 20, pipeline.logs_text)
        pipeline.start("scheduler", **settings)
        eventually(lambda: len(server.received) == 1, 30, pipeline.logs_text)

        # The server has the mail before the job has recorded it and finished.
        finished = FinishedJobRegistry("outbox", connection=connection)
        eventually(lambda: finished.count > 0, 20, pipeline.logs_text)

    (mail,) = server.received
    assert mail.recipients == ("user_alice@example.org",)
    assert mail.subject.startswith("Your Many Futures episode is ready")
    assert mail.encrypted and mail.content_type == "multipart/alternative"
    assert f"{APP_URL}/episodes/" in mail.text
    assert all(job_id.startswith("outbox-") for job_id in finished.get_job_ids())
    with container.adapters.uow_factory()("org_a") as uow:
        message = uow.outbox.get(mail.message_id.removeprefix("<").split("@")[0])
    assert message is not None and message.status is OutboxStatus.SENT


def test_jobs_already_waiting_count_towards_the_jobs_requested(pipeline: Pipeline) -> None:
    connection = pipeline.redis()
    jobs = RqDeliveryJobs(connection, DELIVER_OUTBOX_JOB, lease=timedelta(seconds=30))
    queue = Queue("outbox", connection=connection)
    assert (jobs.request(3), queue.count) == (3, 3)
    assert (jobs.request(3), queue.count) == (0, 3)
    assert (jobs.request(5), queue.count) == (2, 5)
    assert len(set(queue.job_ids)) == 5
    assert {job.func_name for job in queue.jobs} == {DELIVER_OUTBOX_JOB}
