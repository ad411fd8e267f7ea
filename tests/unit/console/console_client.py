"""A Flask test client that signs in to the console through its own dev sign-in form."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from flask import Flask
from flask.testing import FlaskClient
from werkzeug.test import TestResponse

from manyfutures.container import Container
from manyfutures.entrypoints.http.app import create_app

_CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


@dataclass
class ConsoleClient:
    container: Container
    app: Flask
    client: FlaskClient

    @classmethod
    def build(cls, container: Container) -> ConsoleClient:
        app = create_app(container)
        return cls(container, app, app.test_client())

    def csrf_token(self, path: str = "/sign-in") -> str:
        match = _CSRF.search(self.client.get(path).get_data(as_text=True))
        assert match is not None, f"no CSRF token on {path}"
        return match.group(1)

    def sign_in(self, identity: int = 0) -> None:
        response = self.post("/sign-in/dev", {"identity": str(identity)})
        assert response.status_code == 303, response.get_data(as_text=True)

    def post(self, path: str, form: dict[str, Any], token_from: str = "/sign-in") -> TestResponse:
        return self.client.post(path, data={**form, "csrf_token": self.csrf_token(token_from)})
