"""``manyfutures openapi``: the API's OpenAPI document, as the running service publishes it.

The repository commits it as ``openapi.json`` (``make clients`` writes it, with the
TypeScript types generated from it); ``document`` builds the app exactly as ``serve``
does, over default settings, and takes the document ``GET /openapi.json`` answers with,
so the committed file can be compared with the code (tests/unit/http/
test_committed_openapi.py, and CI's ``make clients-check``).
"""

from __future__ import annotations

import argparse
import json
from typing import Any

from manyfutures.entrypoints.cli.command import Subcommands
from manyfutures.settings import Settings


def register(commands: Subcommands) -> None:
    parser = commands.add_parser(
        "openapi", help="print the API's OpenAPI document (what GET /openapi.json answers)"
    )
    parser.set_defaults(handler=_print)


def document() -> dict[str, Any]:
    """Over default settings: the document does not depend on them."""
    from manyfutures.container import build_container
    from manyfutures.entrypoints.http.app import create_app

    spec: dict[str, Any] = create_app(build_container(Settings())).extensions["openapi"]
    return spec


def rendered(spec: dict[str, Any]) -> str:
    """The committed file's exact text: indented, keys in the document's own order."""
    return json.dumps(spec, indent=2, ensure_ascii=False) + "\n"


def _print(args: argparse.Namespace, settings: Settings) -> int:
    print(rendered(document()), end="")
    return 0
