"""Bodies are UTF-8 JSON, strictly: other encodings, duplicate names and numbers no float
can hold are 400s; one leading UTF-8 byte order mark is ignored."""

from __future__ import annotations

import json

import pytest

from tests.unit.http.conftest import Api, assert_problem

PROJECT = {"title": "Future of énergie", "brief": "Grid storage ✓"}
TEXT = json.dumps(PROJECT, ensure_ascii=False)


@pytest.mark.parametrize(
    "encoding", ["utf-16", "utf-16-le", "utf-16-be", "utf-32", "utf-32-le", "utf-32-be"]
)
def test_a_body_in_another_unicode_encoding_is_400(api: Api, encoding: str) -> None:
    response = api.post("/v1/projects", data=TEXT.encode(encoding), content_type="application/json")
    assert "UTF-8" in assert_problem(response, 400, "malformed-json")["detail"]
    assert api.get("/v1/projects").get_json()["items"] == []


@pytest.mark.parametrize("raw", [b"\xff", b"\xc3(", b"\xe9t\xe9", b"\xed\xa0\x80", b"\xf8\x88"])
def test_bytes_that_are_not_utf8_are_400(api: Api, raw: bytes) -> None:
    body = b'{"title": "' + raw + b'", "brief": "b"}'
    response = api.post("/v1/projects", data=body, content_type="application/json")
    assert "UTF-8" in assert_problem(response, 400, "malformed-json")["detail"]


def test_one_leading_utf8_byte_order_mark_is_ignored(api: Api) -> None:
    response = api.post(
        "/v1/projects", data=b"\xef\xbb\xbf" + TEXT.encode(), content_type="application/json"
    )
    assert response.status_code == 201, response.get_json()
    assert response.get_json()["title"] == PROJECT["title"]


@pytest.mark.parametrize(
    "body",
    [
        b"\xef\xbb\xbf\xef\xbb\xbf" + TEXT.encode(),  # a second mark is not whitespace
        b" \xef\xbb\xbf" + TEXT.encode(),
        TEXT.encode()[:-1] + b"\xef\xbb\xbf}",
    ],
)
def test_a_byte_order_mark_anywhere_else_is_400(api: Api, body: bytes) -> None:
    response = api.post("/v1/projects", data=body, content_type="application/json")
    assert_problem(response, 400, "malformed-json")


def test_a_repeated_member_name_is_400_naming_it(api: Api) -> None:
    body = b'{"title": "first", "brief": "b", "title": "second"}'
    response = api.post("/v1/projects", data=body, content_type="application/json")
    assert "'title' appears twice" in assert_problem(response, 400, "malformed-json")["detail"]
    nested = b'{"eventType": "opened", "eventData": {"a": {"x": 1, "x": 2}}}'
    response = api.post("/v1/events", data=nested, content_type="application/json")
    assert_problem(response, 400, "malformed-json")
    assert api.get("/v1/projects").get_json()["items"] == []


@pytest.mark.parametrize("number", [b"1e400", b"-1e999", b"1" + b"0" * 400 + b".0"])
def test_a_number_no_float_can_hold_is_400(api: Api, number: bytes) -> None:
    body = b'{"eventType": "opened", "eventData": {"n": ' + number + b"}}"
    response = api.post("/v1/events", data=body, content_type="application/json")
    assert "too large" in assert_problem(response, 400, "malformed-json")["detail"]


def test_an_integer_too_long_to_convert_is_400(api: Api) -> None:
    body = b'{"eventType": "opened", "eventData": {"n": ' + b"9" * 5000 + b"}}"
    response = api.post("/v1/events", data=body, content_type="application/json")
    assert_problem(response, 400, "malformed-json")
