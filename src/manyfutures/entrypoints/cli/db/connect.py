"""The owner's connection every ``db`` subcommand uses, and how a failure is reported."""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING

from manyfutures.settings import Settings

if TYPE_CHECKING:
    from sqlalchemy import Connection


@contextmanager
def owner_connection(settings: Settings) -> Iterator[Connection]:
    """One unpooled connection as the owner, closed (rolled back) at the end."""
    from manyfutures.adapters.postgres.engine import create_owner_engine, normalize_url

    engine = create_owner_engine(normalize_url(settings.database_url))
    try:
        with engine.connect() as connection:
            yield connection
    finally:
        engine.dispose()


def reporting_failures(command: str, run: Callable[[], int]) -> int:
    """``run``'s exit status; a bad URL or a database error is printed, status 1."""
    from sqlalchemy.exc import SQLAlchemyError

    from manyfutures.adapters.postgres.engine import DatabaseConfigError

    try:
        return run()
    except (DatabaseConfigError, SQLAlchemyError) as error:
        print(f"db {command} failed: {error}", file=sys.stderr)
        return 1
