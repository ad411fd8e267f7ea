"""How much of a request the application reads: bodies whole or not at all.

A body with ``Content-Length`` over ``MAX_CONTENT_LENGTH`` is refused by werkzeug
before a byte is read. A streamed (chunked) body announces no length, and werkzeug's
own limit then stops reading *at* the limit and hands on what it has, so a body over
the limit would be parsed from its first megabyte. ``ApiRequest`` reads such a body
to one byte past the limit instead: if that byte exists, the request is a 413, and no
truncated body ever reaches the JSON loader.
"""

from __future__ import annotations

import io
from typing import IO, Any, cast

from flask import Request
from werkzeug.exceptions import RequestEntityTooLarge
from werkzeug.utils import cached_property


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
