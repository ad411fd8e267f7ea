"""How much of a request the application takes: headers within a limit, bodies whole.

Headers: the application refuses requests whose header fields total more than
``MAX_HEADER_BYTES`` (16 KiB) with a 431 problem, and the production server is set to
let through far more than that (``SERVER_MAX_HEADER_LINE_BYTES``, 64 KiB per field,
the development server's built-in line limit too), so every header refusal a client
can provoke below the server's own limit is in the API's format, not the server's
HTML.

Bodies: a body with ``Content-Length`` over ``MAX_CONTENT_LENGTH`` is refused by werkzeug
before a byte is read. A streamed (chunked) body announces no length, and werkzeug's
own limit then stops reading *at* the limit and hands on what it has, so a body over
the limit would be parsed from its first megabyte. ``ApiRequest`` reads such a body
to one byte past the limit instead: if that byte exists, the request is a 413, and no
truncated body ever reaches the JSON loader.
"""

from __future__ import annotations

import io
from typing import IO, Any, cast

from flask import Request, request
from werkzeug.exceptions import RequestEntityTooLarge
from werkzeug.utils import cached_property

from manyfutures.entrypoints.http.problems import ProblemError

MAX_HEADER_BYTES = 16 * 1024
SERVER_MAX_HEADER_LINE_BYTES = 64 * 1024
# Header fields WSGI keeps outside HTTP_*.
_UNPREFIXED_HEADERS = ("CONTENT_TYPE", "CONTENT_LENGTH")


def header_bytes(environ: dict[str, Any]) -> int:
    """The request's header fields as sent: ``Name: value`` plus CRLF for each."""
    total = 0
    for key, value in environ.items():
        if key.startswith("HTTP_"):
            total += len(key) - len("HTTP_") + len(value) + 4
        elif key in _UNPREFIXED_HEADERS:
            total += len(key) + len(value) + 4
    return total


def refuse_oversized_headers() -> None:
    """First of the app's hooks: before routing, authentication or anything that reads them."""
    size = header_bytes(request.environ)
    if size > MAX_HEADER_BYTES:
        raise ProblemError(
            431,
            "headers-too-large",
            "Request headers too large",
            f"the request's header fields total {size} bytes; at most {MAX_HEADER_BYTES} "
            "are accepted",
        )


class _WholeOrTooLarge(io.RawIOBase):
    """A terminated input stream, read to at most ``limit + 1`` bytes; the extra byte is 413."""

    def __init__(self, stream: IO[bytes], limit: int) -> None:
        self._stream = stream
        self._limit = limit
        self._read = 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        wanted = min(len(buffer), self._limit + 1 - self._read)
        data = self._stream.read(wanted)
        self._read += len(data)
        if self._read > self._limit:
            raise RequestEntityTooLarge()
        buffer[: len(data)] = data
        return len(data)


class ApiRequest(Request):
    @cached_property
    def stream(self) -> IO[bytes]:
        limit = self.max_content_length
        streamed = self.content_length is None and self.environ.get("wsgi.input_terminated")
        if streamed and limit is not None:
            return cast(IO[bytes], _WholeOrTooLarge(self.environ["wsgi.input"], limit))
        return super().stream
