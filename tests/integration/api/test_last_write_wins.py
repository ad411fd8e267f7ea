"""Concurrent changes to one project: without If-Match the last write wins, never a 412.

docs/api.md promises that a change sent without ``If-Match`` applies. Twenty
clients changing one project at once, none sending ``If-Match``, must all get 200,
and every change must land (one version and one audit row each). With ``If-Match``
the optimistic lock still refuses the stale ones with 412.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator

import pytest
from werkzeug.test import TestResponse

from tests.integration.api.apps import MODES, ClerkApp, clerk_app, session
from tests.support.fakes import ManualClock

pytestmark = pytest.mark.integration

WRITERS = 20


def admin() -> dict[str, str]:
    """A token made now: one made at import would expire (60 s) before a long run gets here."""
    return session("user_a", "org_a")


@pytest.fixture(params=MODES)
def api(request: pytest.FixtureRequest, clock: ManualClock) -> Iterator[ClerkApp]:
    yield from clerk_app(request.param, request, clock)


def _project(api: ClerkApp) -> str:
    response = api.client.post(
        "/v1/projects", json={"title": "Start", "brief": "Grid storage"}, headers=admin()
    )
    assert response.status_code == 201, response.get_data(as_text=True)
    project_id: str = response.get_json()["id"]
    return project_id


def _all_at_once(api: ClerkApp, send: Callable[[int], TestResponse]) -> list[TestResponse]:
    start = threading.Barrier(WRITERS)
    answers: list[TestResponse] = []

    def writer(number: int) -> None:
        start.wait(10)
        answers.append(send(number))

    threads = [threading.Thread(target=writer, args=(n,)) for n in range(WRITERS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(120)
    assert len(answers) == WRITERS
    return answers


def test_concurrent_patches_without_if_match_all_apply(api: ClerkApp) -> None:
    project_id = _project(api)
    clients = [api.app.test_client() for _ in range(WRITERS)]

    answers = _all_at_once(
        api,
        lambda n: clients[n].patch(
            f"/v1/projects/{project_id}", json={"title": f"Title {n}"}, headers=admin()
        ),
    )

    assert [a.status_code for a in answers] == [200] * WRITERS, [
        a.get_data(as_text=True) for a in answers if a.status_code != 200
    ]
    final = api.client.get(f"/v1/projects/{project_id}", headers=admin())
    assert final.headers["ETag"] == f'"v{WRITERS + 1}"'
    assert final.get_json()["title"] in {f"Title {n}" for n in range(WRITERS)}
    assert sorted(a.headers["ETag"] for a in answers) == sorted(
        f'"v{version}"' for version in range(2, WRITERS + 2)
    )
    with api.container.adapters.uow_factory()("org_a") as uow:
        assert len(uow.audit_log.list(action="project.update")) == WRITERS


def test_concurrent_patches_with_a_stale_if_match_are_412(api: ClerkApp) -> None:
    project_id = _project(api)
    clients = [api.app.test_client() for _ in range(WRITERS)]

    answers = _all_at_once(
        api,
        lambda n: clients[n].patch(
            f"/v1/projects/{project_id}",
            json={"title": f"Title {n}"},
            headers={**admin(), "If-Match": '"v1"'},
        ),
    )

    statuses = sorted(a.status_code for a in answers)
    assert statuses == [200] + [412] * (WRITERS - 1)
    final = api.client.get(f"/v1/projects/{project_id}", headers=admin())
    assert final.headers["ETag"] == '"v2"'
