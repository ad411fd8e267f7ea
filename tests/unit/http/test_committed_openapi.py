"""The committed openapi.json is the document the code publishes, byte for byte.

The TypeScript types for the front end are generated from that file (`make clients`),
so a change to the API that is not regenerated fails here, in `make test`, before CI's
`make clients-check` compares the types too.
"""

from __future__ import annotations

from pathlib import Path

from manyfutures.entrypoints.cli.openapi import document, rendered
from tests.unit.http.conftest import Api

COMMITTED = Path(__file__).resolve().parents[3] / "openapi.json"


def test_openapi_json_is_what_the_code_publishes() -> None:
    assert COMMITTED.read_text(encoding="utf-8") == rendered(document()), (
        "openapi.json is stale: run `make clients` and commit openapi.json and "
        "clients/typescript/schema.d.ts"
    )


def test_it_is_what_get_openapi_json_answers_whatever_the_settings(api: Api) -> None:
    """The test app runs with other settings (rate limit, webhook secret) than the
    defaults the file is generated with; the document must not depend on them."""
    assert api.client.get("/openapi.json").get_json() == document()
