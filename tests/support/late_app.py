"""A WSGI app filled in after its server is listening."""

from __future__ import annotations

from typing import Any


class LateApp:
    """The server needs its port before the app exists (the app's settings name it)."""

    def __init__(self) -> None:
        self.app: Any = None

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Any:
        return self.app(environ, start_response)
