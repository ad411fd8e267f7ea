"""If-Match on PATCH, DELETE, pause and resume: RFC 9110's grammar, never a 500.

``*`` matches any project; a list matches when one of its strong tags is the project's
ETag; weak tags never match (If-Match compares strongly). Anything that is not the
grammar is a 400, any well-formed list that matches nothing a 412, and neither changes
the project.
"""

from __future__ import annotations

from collections.abc import Callable

import pytest
from werkzeug.test import TestResponse

from tests.unit.http.conftest import Api, assert_problem, create_project

Send = Callable[[Api, str, dict[str, str]], TestResponse]

# Each guarded route, sent with the given If-Match; PATCH changes the title.
ROUTES: dict[str, Send] = {
    "patch": lambda api, path, headers: api.patch(path, json={"title": "Changed"}, headers=headers),
    "delete": lambda api, path, headers: api.delete(path, headers=headers),
    "pause": lambda api, path, headers: api.post(f"{path}/pause", headers=headers),
}


def _unchanged(api: Api, project: dict[str, object]) -> None:
    now = api.get(f"/v1/projects/{project['id']}").get_json()
    assert (now["title"], now["status"], now["version"]) == (
        project["title"],
        project["status"],
        project["version"],
    )


@pytest.mark.parametrize("route", ROUTES)
@pytest.mark.parametrize(
    "value",
    ['""', '"", "v2"', 'W/"", "", ""', 'W/"v1"', '"v01"', '"V1"', "", " , ,"],
)
def test_a_well_formed_if_match_that_matches_nothing_is_412(
    api: Api, route: str, value: str
) -> None:
    project = create_project(api)
    path = f"/v1/projects/{project['id']}"
    response = ROUTES[route](api, path, {"If-Match": value})
    assert_problem(response, 412, "version-mismatch")
    _unchanged(api, project)


@pytest.mark.parametrize("route", ROUTES)
@pytest.mark.parametrize(
    "value",
    ["v1", '"v1', 'v1"', '"v1" "v2"', '*, "v1"', "**", 'w/"v1"', 'W/ "v1"', '"v 1"', '"v\x7f"'],
)
def test_a_malformed_if_match_is_400(api: Api, route: str, value: str) -> None:
    project = create_project(api)
    path = f"/v1/projects/{project['id']}"
    response = ROUTES[route](api, path, {"If-Match": value})
    body = assert_problem(response, 400, "bad-request")
    assert "If-Match" in body["detail"]
    _unchanged(api, project)


@pytest.mark.parametrize(
    "value", ['"", "v1"', '"v1",', ', "v1"', 'W/"v1", "v1"', '"garbage", "v1"', "*", " * "]
)
def test_a_list_holding_the_current_strong_tag_matches(api: Api, value: str) -> None:
    project = create_project(api)
    path = f"/v1/projects/{project['id']}"
    response = api.patch(path, json={"title": "Changed"}, headers={"If-Match": value})
    assert response.status_code == 200, response.get_json()
    assert response.get_json()["title"] == "Changed"


def test_resume_reads_if_match_the_same_way(api: Api) -> None:
    project = create_project(api)
    path = f"/v1/projects/{project['id']}"
    paused = api.post(f"{path}/pause").get_json()
    assert_problem(api.post(f"{path}/resume", headers={"If-Match": '""'}), 412, "version-mismatch")
    assert_problem(api.post(f"{path}/resume", headers={"If-Match": "v2"}), 400, "bad-request")
    assert api.get(path).get_json()["status"] == "PAUSED"
    current = {"If-Match": f'"", "v{paused["version"]}"'}
    assert api.post(f"{path}/resume", headers=current).get_json()["status"] == "ACTIVE"


def test_if_match_split_over_two_header_lines_is_one_list(api: Api) -> None:
    """A server joins repeated fields with commas (RFC 9110 section 5.3)."""
    project = create_project(api)
    path = f"/v1/projects/{project['id']}"
    response = api.client.patch(
        path,
        json={"title": "Changed"},
        headers=[*api.headers().items(), ("If-Match", 'W/"v1"'), ("If-Match", '"v1"')],
    )
    assert response.status_code == 200
    split_star = api.client.delete(
        path, headers=[*api.headers().items(), ("If-Match", "*"), ("If-Match", '"v2"')]
    )
    assert_problem(split_star, 400, "bad-request")


def test_tags_naming_two_different_versions_are_412_not_any_of_them(api: Api) -> None:
    """The documented exception to "any tag may match": one expected version per request."""
    project = create_project(api)
    path = f"/v1/projects/{project['id']}"
    response = api.patch(path, json={"title": "Changed"}, headers={"If-Match": '"v9", "v1"'})
    assert_problem(response, 412, "version-mismatch")
    _unchanged(api, project)
